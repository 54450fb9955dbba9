/** @odoo-module */

import { registry } from "@web/core/registry";
import { screenshot } from "@billing_specialist/../tests/tours/billing_screenshot";

const row = (customer) => `.o_field_widget[name=line_ids] .o_data_row:has(td[name=partner_id]:contains(${customer}))`;

// A specialist runs the follow-ups now, reads Acme's e-mail as it will go out, leaves Globex out of this run,
// softens Acme's level to a plain reminder, and sends.
registry.category("web_tour.tours").add("billing_specialist_followup_tour", {
    steps: () => [
        {
            content: "Run Now opened today's preview, one line per customer",
            trigger: ".o_form_view .o_statusbar_status .o_arrow_button_current:contains(Preview)",
        },
        {
            trigger: `${row("Acme Retail")} td[name=level_id]:contains(Firm Reminder)`,
        },
        {
            trigger: `${row("Globex Stores")} td[name=preview_emails]:contains(ap@globex.example.com)`,
        },
        {
            content: "Open Acme's line: the e-mail exactly as it will be sent",
            trigger: `${row("Acme Retail")} td[name=partner_id]`,
            run: "click",
        },
        {
            content: "The dialog shows the recipients, the subject and the body rendered for sending",
            trigger: ".modal .o_field_widget[name=preview_subject]:contains(Firm Reminder - Acme Retail)",
        },
        {
            trigger: ".modal .o_field_widget[name=preview_emails]:contains(ap@acme.example.com)",
        },
        {
            trigger: ".modal .o_field_widget[name=preview_body]:contains(statement of account is attached)",
        },
        screenshot("followup-preview"),
        {
            content: "Close the preview of Acme's e-mail",
            trigger: ".modal .modal-footer button:contains(Close)",
            run: "click",
        },
        {
            content: "The dialog is gone",
            trigger: "body:not(:has(.modal))",
        },
        {
            content: "Leave Globex out of this run",
            trigger: `${row("Globex Stores")} button[name=action_exclude]`,
            run: "click",
        },
        {
            content: "Globex's line is excluded: it offers Include instead",
            trigger: `${row("Globex Stores")} button[name=action_include]`,
        },
        {
            trigger: `${row("Globex Stores")} td[name=excluded] input:checked`,
        },
        {
            content: "Choose Acme's level for this run",
            trigger: `${row("Acme Retail")} button[name=action_choose_level]`,
            run: "click",
        },
        {
            trigger: ".modal .o_field_widget[name=level_id] input",
            run: "edit Reminder",
        },
        {
            content: "A plain reminder instead of the firm one",
            trigger: ".modal .o-autocomplete--dropdown-item a:contains(Reminder):not(:contains(Firm))",
            run: "click",
        },
        {
            trigger: ".modal button[name=action_apply]",
            run: "click",
        },
        {
            content: "The dialog is gone",
            trigger: "body:not(:has(.modal))",
        },
        {
            content: "Acme's line is previewed again at the Reminder level",
            trigger: `${row("Acme Retail")} td[name=level_id]:contains(Reminder):not(:contains(Firm))`,
        },
        {
            content: "A preview offers its choices in a column of buttons",
            trigger: ".o_field_widget[name=line_ids] table:has(th.o_list_button)",
        },
        {
            content: "Send",
            trigger: ".o_form_view .o_form_statusbar button[name=action_send]",
            run: "click",
        },
        {
            content: "Confirm",
            trigger: ".modal .modal-footer .btn-primary",
            run: "click",
        },
        {
            content: "The confirmation is gone",
            trigger: "body:not(:has(.modal))",
        },
        {
            content: "The run is sent: Acme e-mailed, Globex excluded",
            trigger: ".o_form_view .o_statusbar_status .o_arrow_button_current:contains(Sent)",
        },
        {
            trigger: `${row("Acme Retail")} td[name=outcome]:contains(E-mailed)`,
        },
        {
            trigger: `${row("Globex Stores")} td[name=outcome]:contains(Excluded)`,
        },
        {
            content: "A sent run offers no choices: no column of buttons, the result has the room",
            trigger: ".o_field_widget[name=line_ids] table:not(:has(th.o_list_button)):has(th[data-name=result])",
        },
        screenshot("followup-sent"),
    ],
});
