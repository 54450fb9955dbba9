/** @odoo-module */

import { registry } from "@web/core/registry";
import { screenshot } from "@billing_specialist/../tests/tours/billing_screenshot";

const { DateTime } = luxon;
const row = (customer) => `.o_list_view .o_data_row:has(td[name=partner_id]:contains(${customer}))`;

// A billing manager opens Credit Control: held customers first (red), then the watched one (orange); he releases
// Acme Retail's hold for two weeks with a reason; its row turns to Watch with the end date.
registry.category("web_tour.tours").add("billing_specialist_credit_tour", {
    steps: () => [
        {
            content: "Held customers come first, the one with most to pay at the top",
            trigger: ".o_list_view .o_data_row:first-child td[name=partner_id]:contains(Acme Retail)",
        },
        {
            trigger: ".o_list_view .o_data_row:nth-child(2) td[name=partner_id]:contains(Initech)",
        },
        {
            content: "The watched customer after them",
            trigger: ".o_list_view .o_data_row:nth-child(3) td[name=partner_id]:contains(Globex Stores)",
        },
        {
            content: "On Hold is red, Watch is orange",
            trigger: `${row("Acme Retail")} td[name=state] .badge.text-bg-danger:contains(On Hold)`,
        },
        {
            trigger: `${row("Globex Stores")} td[name=state] .badge.text-bg-warning:contains(Watch)`,
        },
        {
            content: "No limit shows no figure (Initech is held for an overdue item, not a limit)",
            trigger: `${row("Initech")} td[name=credit_limit]:empty`,
        },
        {
            content: "What Acme pays to be released: its exposure over the limit",
            trigger: `${row("Acme Retail")} td[name=amount_to_release]:contains(500.00)`,
        },
        screenshot("credit-control"),
        {
            content: "Release Acme Retail's hold",
            trigger: `${row("Acme Retail")} button[name=action_open_release]`,
            run: "click",
        },
        {
            content: "The wizard says why the customer is held",
            trigger: ".modal .o_field_widget[name=reasons]:contains(above the credit limit)",
        },
        {
            trigger: ".modal .o_field_widget[name=reason] input",
            run: "edit Payment plan agreed with their CFO",
        },
        {
            trigger: ".modal .o_field_widget[name=date_end] input",
            run: `edit ${DateTime.now().plus({ days: 14 }).toFormat("MM/dd/yyyy")}`,
        },
        screenshot("credit-release"),
        {
            trigger: ".modal button[name=action_release]",
            run: "click",
        },
        {
            content: "The wizard is closed",
            trigger: "body:not(:has(.modal))",
        },
        {
            content: "Acme Retail is released: Watch, until the date given",
            trigger: `${row("Acme Retail")} td[name=state] .badge.text-bg-warning:contains(Watch)`,
        },
        {
            trigger: `${row("Acme Retail")} td[name=release_until]:contains(${DateTime.now()
                .plus({ days: 14 })
                .toFormat("MM/dd/yyyy")})`,
        },
    ],
});

// The customer form's Billing tab: the state's badge, its reasons, exposure against the limit, and Release.
registry.category("web_tour.tours").add("billing_specialist_credit_customer_tour", {
    steps: () => [
        {
            content: "Open the Billing tab",
            trigger: ".o_notebook .nav-link:contains(Billing)",
            run: "click",
        },
        {
            content: "Initech is on hold (red), with its reason",
            trigger: ".o_field_widget[name=billing_credit_state] .badge.text-bg-danger:contains(On Hold)",
        },
        {
            trigger: ".o_field_widget[name=billing_credit_reasons]:contains(61 days late)",
        },
        {
            trigger: ".o_field_widget[name=billing_credit_amount_to_release]:contains(300.00)",
        },
        {
            content: "A manager may release it from here",
            trigger: "button[name=action_billing_credit_release]",
            run() {
                document.querySelector(".o_notebook").scrollIntoView({ block: "start" });
            },
        },
        screenshot("credit-customer"),
    ],
});
