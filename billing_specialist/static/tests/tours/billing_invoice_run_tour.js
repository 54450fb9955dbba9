/** @odoo-module */

import { registry } from "@web/core/registry";
import { screenshot } from "@billing_specialist/../tests/tours/billing_screenshot";

const line = (text) => `.o_field_widget[name=line_ids] .o_data_row:contains(${text})`;

// A specialist creates a billing run over the invoices due today and runs it: one invoice goes out by e-mail, a
// blocking check (PO reference required) stops the other. She opens the blocked invoice, adds the PO reference,
// goes back to the run and retries: the invoice is posted and goes out as a letter.
registry.category("web_tour.tours").add("billing_specialist_invoice_run_tour", {
    steps: () => [
        {
            content: "Create a billing run",
            trigger: ".o_list_button_add",
            run: "click",
        },
        {
            content: "Every draft due to go out today",
            trigger: ".o_field_widget[name=due_today] input",
            run: "click",
        },
        {
            content: "Preview the selection",
            trigger: "button[name=action_select_invoices]",
            run: "click",
        },
        {
            trigger: `${line("Globex Stores")} td[name=outcome]:contains(To Do)`,
        },
        {
            trigger: `${line("Acme Retail")} td[name=outcome]:contains(To Do)`,
        },
        screenshot("invoice-run-selected"),
        {
            content: "Run: check, post and send",
            trigger: ".o_form_statusbar button[name=action_run]:contains(Run)",
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
            content: "The invoice with an e-mail is posted and sent",
            trigger: `${line("Acme Retail")} td[name=outcome]:contains(Posted and Sent)`,
        },
        {
            content: "The check stopped the other one, and says which",
            trigger: `${line("Globex Stores")} td[name=outcome]:contains(Blocked by a Check)`,
        },
        {
            trigger: `${line("Globex Stores")} td[name=check_names]:contains(PO Reference Required)`,
        },
        screenshot("invoice-run-blocked"),
        {
            content: "Open the blocked invoice",
            trigger: ".oe_stat_button:contains(Blocked)",
            run: "click",
        },
        {
            content: "Other Info",
            trigger: ".o_notebook a:contains(Other Info)",
            run: "click",
        },
        {
            content: "Add the customer's PO reference",
            trigger: ".o_notebook div[name=ref] input",
            run: "edit PO-4711",
        },
        {
            content: "Save the invoice",
            trigger: ".o_form_button_save:enabled",
            run: "click",
        },
        {
            content: "The invoice is saved with its PO reference",
            trigger: ".o_form_saved .o_notebook div[name=ref] input:value(PO-4711)",
        },
        {
            content: "Back to the run",
            trigger: ".o_breadcrumb .breadcrumb-item a:contains(RUN/)",
            run: "click",
        },
        {
            content: "The run is shown again, its invoice still blocked",
            trigger: `${line("Globex Stores")} td[name=outcome]:contains(Blocked by a Check)`,
        },
        {
            content: "Retry the blocked invoice",
            trigger: ".o_form_statusbar button[name=action_run]:contains(Retry)",
            run: "click",
        },
        {
            content: "Now posted, and printed for a letter (the customer has no e-mail)",
            trigger: `${line("Globex Stores")} td[name=outcome]:contains(Posted and Printed)`,
        },
        {
            trigger: ".o_form_statusbar .o_arrow_button_current:contains(Done)",
        },
        screenshot("invoice-run-done"),
    ],
});
