/** @odoo-module */

import { Component } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { formatDate } from "@web/core/l10n/dates";
import { formatMonetary } from "@web/views/fields/formatters";
import { standardFieldProps } from "@web/views/fields/standard_field_props";

/** The customer's other open items, each with Add: it joins the row's invoices for what the payment still has. */
export class BillingOpenItemsField extends Component {
    static template = "billing_specialist.OpenItemsField";
    static props = { ...standardFieldProps };

    setup() {
        this.orm = useService("orm");
    }

    get items() {
        return this.props.record.data[this.props.name].records;
    }

    label(item) {
        return item.data.move_type === "out_refund" ? _t("Credit Note") : _t("Invoice");
    }

    due(item) {
        return item.data.invoice_date_due ? formatDate(item.data.invoice_date_due) : "";
    }

    open(item) {
        const currencyId = item.data.currency_id?.[0] || item.data.currency_id?.id;
        return formatMonetary(item.data.amount_residual, { currencyId });
    }

    async add(item) {
        const record = this.props.record;
        if (!(await record.save())) {
            return;
        }
        await this.orm.call(record.resModel, "action_add_open_item", [[record.resId], item.resId]);
        await record.load();
        await this.env.billingWorkbench?.reloadList();
    }
}

registry.category("fields").add("billing_open_items", {
    component: BillingOpenItemsField,
    supportedTypes: ["many2many"],
    useSubView: true,
});
