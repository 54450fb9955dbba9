/** @odoo-module */

import { registry } from "@web/core/registry";
import { screenshot } from "@billing_specialist/../tests/tours/billing_screenshot";

const row = (text) => `.o_list_renderer .o_data_row:contains(${text})`;

// A specialist filters the review screen (the workbench) on one customer, opens a short payment in the panel to pay
// its invoice in full with a write-off of the difference, applies it from the list with a bank line whose customer
// was found from the bank account, then undoes the manual run that recorded both. Adapted to the workbench: the
// reasons and open items are read in the panel (the list keeps one line per row), the panel saves without a
// breadcrumb.
registry.category("web_tour.tours").add("billing_specialist_matching_tour", {
    steps: () => [
        {
            content: "Every pending payment and bank line is listed, another customer's too",
            trigger: `${row("Globex Stores")}`,
        },
        {
            content: "The combination explains itself, in full (in the panel: the list has one line per row)",
            trigger: `${row("Acme Retail")}:not(:contains(short)):not(:contains(invoice payment)) td[name=partner_id]`,
            run: "click",
        },
        {
            trigger: ".o_billing_workbench_panel .o_field_widget[name=reasons]:contains(open items sum to the amount)",
        },
        screenshot("review-list"),
        {
            content: "Filter on the customer",
            trigger: ".o_searchview_input",
            run: "edit Acme",
        },
        {
            trigger: ".o_searchview_autocomplete li.o_menu_item:contains(Search Customer)",
            run: "click",
        },
        {
            trigger: ".o_searchview_facet:contains(Acme)",
        },
        {
            content: "Only the customer's rows remain",
            trigger: ".o_list_renderer:not(:has(.o_data_row:contains(Globex Stores))) .o_data_row:contains(invoice payment)",
        },
        {
            content: "Open the short payment in the panel",
            trigger: `${row("short")} td[name=name]`,
            run: "click",
        },
        {
            content: "The panel shows the short payment",
            trigger: ".o_billing_workbench_panel .o_field_widget[name=memo]:contains(short)",
        },
        {
            content: "The customer's other open items are listed with their open amounts",
            trigger: ".o_billing_workbench_panel .o_billing_open_item:contains(1,200.00)",
        },
        {
            content: "Pay the invoice in full",
            trigger: ".o_field_widget[name=allocation_ids] .o_data_row td[name=amount]",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name=allocation_ids] .o_data_row td[name=amount] input",
            run: "edit 300",
        },
        {
            content: "and write the 10 short off (within the specialist's limit)",
            trigger: ".o_field_widget[name=writeoff] input",
            run: "edit 10",
        },
        {
            trigger: ".o_field_widget[name=allocation_ids]",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name=remainder]:not(:contains(-)):contains(0.00)",
        },
        screenshot("review-row"),
        {
            content: "Save the panel",
            trigger: ".o_billing_workbench_panel button.o_billing_workbench_save",
            run: "click",
        },
        {
            content: "Saved: the panel reads the write-off back",
            trigger:
                "body:not(:has(.modal)) .o_billing_workbench:not(.o_billing_workbench_busy) .o_billing_workbench_panel " +
                ".o_form_saved .o_field_widget[name=writeoff] input:value(10.00)",
        },
        {
            content: "Select the short payment",
            trigger: `${row("short")} .o_list_record_selector input`,
            run: "click",
        },
        {
            content: "and the bank line",
            trigger: `${row("invoice payment")} .o_list_record_selector input`,
            run: "click",
        },
        screenshot("review-selected", ".o_list_renderer .o_data_row.o_data_row_selected ~ .o_data_row_selected"),
        {
            content: "Apply the two rows",
            trigger: ".o_control_panel button[name=action_apply]",
            run: "click",
        },
        {
            content: "The confirmation names the manual run, which opens",
            trigger: ".o_notification:contains(2 applied, recorded in Manual matching)",
        },
        {
            trigger: ".o_form_view .o_field_widget[name=mode]:contains(Manual)",
        },
        screenshot("manual-run"),
        {
            content: "Undo it",
            trigger: "button[name=action_undo]",
            run: "click",
        },
        {
            content: "Confirm",
            trigger: ".modal-footer .btn-primary",
            run: "click",
        },
        {
            content: "The confirmation is gone",
            trigger: "body:not(:has(.modal))",
        },
        {
            content: "The run is undone",
            trigger: ".o_form_view .o_statusbar_status button.o_arrow_button_current:contains(Undone)",
        },
    ],
});
