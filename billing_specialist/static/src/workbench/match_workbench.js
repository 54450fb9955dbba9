/** @odoo-module */

import { Component, useEffect, useState, useSubEnv, xml } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { formatMonetary } from "@web/views/fields/formatters";
import { formView } from "@web/views/form/form_view";
import { FormController } from "@web/views/form/form_controller";
import { listView } from "@web/views/list/list_view";
import { ListController } from "@web/views/list/list_controller";
import { ListRenderer } from "@web/views/list/list_renderer";
import { View } from "@web/views/view";

const PANEL_VIEW = "billing_specialist.billing_match_review_view_form_panel";
const ROW_ACTIONS = ["action_apply", "action_skip", "action_unskip"];

/** The panel's form, embedded: it never renames the screen nor goes back in its history (those are the list's). */
export class MatchWorkbenchPanel extends Component {
    static template = xml`<View t-props="props.viewProps"/>`;
    static components = { View };
    static props = { viewProps: Object };

    setup() {
        useSubEnv({
            config: {
                ...this.env.config,
                setDisplayName: () => {},
                historyBack: () => {},
            },
        });
    }
}

/**
 * The matching workbench: the review rows on the left (one line each), the selected row's panel on the right (the
 * panel form view, embedded). The panel's Apply and Skip act on its row and keep the user on the workbench: the list
 * reloads and the next row is selected. Apply on rows selected in the list keeps its behaviour (the run opens).
 */
export class MatchWorkbenchController extends ListController {
    static template = "billing_specialist.MatchWorkbench";
    static components = { ...ListController.components, MatchWorkbenchPanel };

    setup() {
        super.setup();
        this.notification = useService("notification");
        this.orm = useService("orm");
        this.workbench = useState({ resId: false, busy: false });
        this.panel = null;
        useSubEnv({
            billingWorkbench: {
                state: this.workbench,
                register: (panel) => (this.panel = panel),
                unregister: (panel) => this.panel === panel && (this.panel = null),
                runRowAction: this.runRowAction.bind(this),
                reloadList: () => this.reloadList(),
            },
        });
        // The panel is never empty while there are rows: the first one is selected on load (and after Refresh).
        useEffect(
            (resId, firstId) => {
                if (!resId && firstId) {
                    this.workbench.resId = firstId;
                }
            },
            () => [this.workbench.resId, this.firstRowId]
        );
    }

    get firstRowId() {
        const root = this.model.root;
        return (!root.isGrouped && root.records[0]?.resId) || false;
    }

    /** One object per selected row: the panel is not reloaded (its edits lost) when the list renders again. */
    get panelProps() {
        if (this._panelProps?.resId !== this.workbench.resId) {
            this._panelProps = this.makePanelProps();
        }
        return this._panelProps;
    }

    makePanelProps() {
        return {
            type: "form",
            resModel: this.props.resModel,
            resId: this.workbench.resId,
            context: { ...this.props.context, form_view_ref: PANEL_VIEW },
            display: { controlPanel: false },
            mode: "edit",
            preventCreate: true,
            onSave: () => this.reloadList(),
            // Leaving the screen saves the panel's edits, as leaving a form does.
            __beforeLeave__: this.env.__beforeLeave__,
        };
    }

    /** Reload the rows (what the panel saved), keeping the rows ticked. */
    async reloadList() {
        this.workbench.busy = true;
        try {
            const ticked = new Set(this.model.root.selection.map((record) => record.resId));
            await this.model.load();
            for (const record of this.model.root.records) {
                if (ticked.has(record.resId) && !record.selected) {
                    record.toggleSelection(true);
                }
            }
        } finally {
            this.workbench.busy = false;
        }
    }

    get selectionSummary() {
        const selected = this.model.root.selection;
        if (!selected.length) {
            return "";
        }
        const total = selected.reduce((sum, record) => sum + (record.data.amount_company || 0), 0);
        const currencyId = selected[0].data.company_currency_id?.[0] || selected[0].data.company_currency_id?.id;
        return _t("%(count)s selected: %(total)s", {
            count: selected.length,
            total: formatMonetary(total, { currencyId }),
        });
    }

    async savePanel() {
        const record = this.panel?.model.root;
        if (record && record.resId && (await record.isDirty())) {
            return record.save();
        }
        return true;
    }

    async beforeExecuteActionButton(clickParams) {
        // Apply, Skip, Refresh of the list act on what is saved: the panel's edits first.
        if (!(await this.savePanel())) {
            return false;
        }
        return super.beforeExecuteActionButton(...arguments);
    }

    async openRecord(record) {
        if (!(await this.savePanel())) {
            return;
        }
        this.workbench.resId = record.resId;
    }

    /** Apply, Skip or Review Again on the panel's row; then the next row, on the same screen. */
    async runRowAction(name, resId) {
        const ids = this.model.root.records.map((record) => record.resId);
        this.workbench.busy = true;
        let result;
        try {
            result = await this.orm.call(this.props.resModel, name, [[resId]], { context: this.props.context });
        } finally {
            this.workbench.busy = false;
        }
        if (result && result.type === "ir.actions.client" && result.tag === "display_notification") {
            // The confirmation and its link to the run, without leaving the workbench.
            await this.actionService.doAction({ ...result, params: { ...result.params, next: undefined } });
        }
        await this.reloadList();
        const left = this.model.root.records.map((record) => record.resId);
        if (!left.includes(resId)) {
            const after = ids.slice(ids.indexOf(resId) + 1).find((id) => left.includes(id));
            this.workbench.resId = after || left[0] || false;
        }
    }
}

export class MatchWorkbenchRenderer extends ListRenderer {
    setup() {
        super.setup();
        this.workbench = this.env.billingWorkbench ? useState(this.env.billingWorkbench.state) : null;
    }

    getRowClass(record) {
        const classes = super.getRowClass(record);
        return this.workbench && record.resId === this.workbench.resId
            ? `${classes} o_billing_workbench_current`
            : classes;
    }
}

registry.category("views").add("billing_match_workbench", {
    ...listView,
    Controller: MatchWorkbenchController,
    Renderer: MatchWorkbenchRenderer,
});

/** The panel: Apply, Skip and Review Again save the row, then the workbench runs them (see runRowAction). */
export class MatchPanelController extends FormController {
    setup() {
        super.setup();
        this.env.billingWorkbench?.register(this);
        // The list renders its children deeply on each change (a row ticked, a page turned): that would reload this
        // row and lose its edits. The panel's record is loaded once; another row is another panel (t-key).
        const model = this.model;
        const load = model.load.bind(model);
        model.load = (params = {}) => {
            if (model.root && "Renderer" in params) {
                return Promise.resolve();
            }
            return load(params);
        };
    }

    async beforeExecuteActionButton(clickParams) {
        const workbench = this.env.billingWorkbench;
        if (workbench && clickParams.type === "object" && ROW_ACTIONS.includes(clickParams.name)) {
            if (!(await this.model.root.save())) {
                return false;
            }
            await workbench.runRowAction(clickParams.name, this.model.root.resId);
            return false;
        }
        return super.beforeExecuteActionButton(...arguments);
    }
}

registry.category("views").add("billing_match_panel", {
    ...formView,
    Controller: MatchPanelController,
});
