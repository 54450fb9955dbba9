/** @odoo-module */

import { registry } from "@web/core/registry";

const rows = ".modal .o_field_widget[name=line_ids] .o_data_row";

// A specialist reviews two proposals left below the threshold (a payment paying two invoices with no reference,
// a bank line whose customer was found from the bank account), accepts both and applies them.
registry.category("web_tour.tours").add("billing_specialist_matching_tour", {
    steps: () => [
        {
            content: "The payment's proposal explains itself",
            trigger: `${rows} td[name=reasons]:contains(2 items sum to the amount)`,
        },
        {
            content: "The bank line is listed with the customer found from its account",
            trigger: `${rows}:contains(Bank:) td[name=reasons]:contains(customer found from the bank account)`,
        },
        {
            content: "Below the threshold, the payment is not ticked: tick it",
            trigger: `${rows}:contains(2 items sum to the amount) td[name=selected] input:not(:checked)`,
            run: "click",
        },
        {
            content: "Tick the bank line too",
            trigger: `${rows}:contains(Bank:) td[name=selected] input:not(:checked)`,
            run: "click",
        },
        {
            trigger: `${rows}:contains(Bank:) td[name=selected] input:checked`,
        },
        {
            content: "Apply",
            trigger: ".modal button[name=action_apply]",
            run: "click",
        },
        {
            trigger: ".o_notification:contains(2 payments applied)",
        },
    ],
});
