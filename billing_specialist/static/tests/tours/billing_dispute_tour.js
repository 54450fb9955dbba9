/** @odoo-module */

import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";
import { screenshot } from "@billing_specialist/../tests/tours/billing_screenshot";

/**
 * Resolve the open case shown in the form: accept 120 with a credit note, root cause "Shipping".
 * `shot` names the screenshot of the filled wizard, if any.
 */
export function resolveSteps(shot = null) {
    return [
        {
            content: "Resolve it",
            trigger: "button[name=action_open_resolve]",
            run: "click",
        },
        {
            content: "Give the root cause",
            trigger: ".modal .o_field_widget[name=root_cause_id] input",
            run: "edit Shipping",
        },
        {
            trigger: ".o-autocomplete--dropdown-item a:contains(Shipping or logistics error)",
            run: "click",
        },
        {
            content: "Accept 120 of the 300",
            trigger: ".modal .o_field_widget[name=line_ids] .o_data_row td[name=amount]",
            run: "click",
        },
        {
            trigger: ".modal .o_field_widget[name=line_ids] .o_data_row td[name=amount] input",
            run: "edit 120",
        },
        {
            trigger: ".modal .o_field_widget[name=note] textarea",
            run: "edit 120 accepted for the missing units; the rest was delivered.",
        },
        {
            trigger: ".modal .o_field_widget[name=amount_total]:contains(120.00)",
        },
        ...(shot ? [screenshot(shot)] : []),
        {
            content: "Apply: the credit note is posted",
            trigger: ".modal button[name=action_apply]",
            run: "click",
        },
        {
            content: "The dialog is gone (a dialog is not inside the credit note's form: look at the whole page)",
            trigger: "body:not(:has(.modal))",
        },
    ];
}

// A specialist opens a dispute from an invoice, then accepts part of it with a credit note.
registry.category("web_tour.tours").add("billing_specialist_dispute_tour", {
    steps: () => [
        {
            content: "The invoice is not in dispute yet",
            trigger: ".o_form_view:not(:has(div[name=billing_dispute_banner]:visible))",
        },
        {
            content: "Open a dispute from the invoice",
            trigger: "button[name=action_billing_open_dispute]",
            run: "click",
        },
        {
            content: "Choose the reason",
            trigger: ".o_field_widget[name=reason_id] input",
            run: "edit Quantity",
        },
        {
            trigger: ".o-autocomplete--dropdown-item a:contains(Quantity / short shipment)",
            run: "click",
        },
        {
            content: "The invoice comes prefilled; dispute 300 of it",
            trigger: ".o_field_widget[name=line_ids] .o_data_row td[name=amount_disputed]",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name=line_ids] .o_data_row td[name=amount_disputed] input",
            run: "edit 300",
        },
        ...stepUtils.saveForm(),
        {
            content: "The case is numbered and open",
            trigger: ".o_field_widget[name=name]:contains(DSP/)",
        },
        {
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains(New)",
        },
        screenshot("dispute-form"),
        ...resolveSteps("resolve-wizard"),
        {
            content: "The posted credit note opens",
            trigger: ".o_form_view .o_statusbar_status button.o_arrow_button_current:contains(Posted)",
        },
        {
            trigger: ".o_form_view .o_field_widget[name=move_type]:contains(Credit Note)",
        },
        {
            content: "Back to the case",
            trigger: ".o_breadcrumb .breadcrumb-item a:contains(DSP/)",
            run: "click",
        },
        {
            content: "The case is resolved with its amounts from the accounting",
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains(Resolved)",
        },
        {
            trigger: ".o_field_widget[name=amount_credited]:contains(120.00)",
        },
        {
            trigger: ".o_field_widget[name=amount_rejected]:contains(180.00)",
        },
        {
            trigger: ".o_field_widget[name=amount_remaining]:contains(0.00)",
        },
        screenshot("dispute-resolved"),
    ],
});

// A specialist resolves a case opened by a customer on the portal, with a partial credit note.
registry.category("web_tour.tours").add("billing_specialist_resolve_tour", {
    steps: () => [
        {
            trigger: ".o_field_widget[name=channel]:contains(Portal)",
        },
        ...resolveSteps(),
        {
            content: "The posted credit note opens",
            trigger: ".o_form_view .o_statusbar_status button.o_arrow_button_current:contains(Posted)",
        },
        {
            trigger: ".o_form_view .o_field_widget[name=move_type]:contains(Credit Note)",
        },
    ],
});

// The board: a column per stage with the amount in dispute, the colour bar following the deadlines.
registry.category("web_tour.tours").add("billing_specialist_dispute_kanban_tour", {
    steps: () => [
        {
            content: "Each card shows the customer and the amount in dispute",
            trigger: ".o_kanban_group:contains(New) .o_kanban_record:contains(Acme Retail):contains(450.00)",
        },
        {
            content: "The column shows what is in dispute in it",
            trigger: ".o_kanban_group:contains(New) .o_kanban_counter:contains(570)",
        },
        {
            content: "The overdue case colours its column's bar",
            trigger: ".o_kanban_group:contains(New) .o_column_progress .bg-danger",
        },
        {
            trigger: ".o_kanban_group:contains(In Progress) .o_column_progress .bg-warning",
        },
        screenshot("dispute-kanban"),
        {
            content: "Open a case",
            trigger: ".o_kanban_record:contains(Initech Supplies)",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_field_widget[name=partner_id]:contains(Initech Supplies)",
        },
    ],
});
