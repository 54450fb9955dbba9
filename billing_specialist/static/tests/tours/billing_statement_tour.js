/** @odoo-module */

import { registry } from "@web/core/registry";

const row = (customer) => `.o_list_view .o_data_row:has(td[name=partner_id]:contains(${customer}))`;

// A specialist opens the statement of account of Acme Retail from her worklist's row, then from the customer's form
// header (issue 23: not only from the form's Billing tab). Each time the statement's dialog opens on that customer.
registry.category("web_tour.tours").add("billing_specialist_statement_tour", {
    steps: () => [
        {
            content: "The worklist's row has a Statement button",
            trigger: `${row("Acme Retail")} button[name=action_send_statement]`,
            run: "click",
        },
        {
            content: "The statement's dialog opens on the customer of the row",
            trigger: ".modal .o_field_widget[name=partner_id]:contains(Acme Retail)",
        },
        {
            trigger: ".modal .o_field_widget[name=date_to] input",
        },
        {
            content: "with its ways out: e-mail, PDF, XLSX",
            trigger: ".modal footer button[name=action_print]",
        },
        {
            trigger: ".modal footer button:contains(Close)",
            run: "click",
        },
        {
            content: "The dialog is gone",
            trigger: "body:not(:has(.modal))",
        },
        {
            content: "Open the worklist's line",
            trigger: `${row("Acme Retail")} td[name=partner_id]`,
            run: "click",
        },
        {
            content: "From the line, the customer's form",
            trigger: ".o_form_view button[name=action_open_customer]",
            run: "click",
        },
        {
            content: "The customer's form is open",
            trigger: ".o_form_view .o_field_widget[name=name]:contains(Acme Retail), .o_form_view .o_field_widget[name=name] input",
        },
        {
            content: "Its header has Statement of Account",
            trigger: ".o_form_view .o_form_statusbar button[name=action_billing_statement]",
            run: "click",
        },
        {
            content: "The statement's dialog opens on this customer",
            trigger: ".modal .o_field_widget[name=partner_id]:contains(Acme Retail)",
        },
        {
            trigger: ".modal footer button[name=action_download_xlsx]",
        },
        {
            trigger: ".modal footer button:contains(Close)",
            run: "click",
        },
        {
            content: "The dialog is gone, the customer's form is still there",
            trigger: "body:not(:has(.modal)) .o_form_view .o_form_statusbar button[name=action_billing_statement]",
        },
    ],
});
