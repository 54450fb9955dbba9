/** @odoo-module */

import { registry } from "@web/core/registry";
import { screenshot } from "@billing_specialist/../tests/tours/billing_screenshot";

// A specialist opens an advice that came by e-mail: it says it only proposes; once checked, they vouch for it.
registry.category("web_tour.tours").add("billing_specialist_remittance_vouch_tour", {
    steps: () => [
        {
            content: "The form says the advice came by e-mail and only proposes",
            trigger: ".o_billing_remittance_proposes_only:visible:contains(alice@acme.example.com)",
        },
        {
            content: "Its origin is shown, and it has no Apply button",
            trigger:
                ".o_form_view:has(.o_field_widget[name=origin]:contains(E-mail (proposes only))):not(:has(button[name=action_apply]:visible))",
        },
        screenshot("remittance-emailed"),
        {
            content: "Vouch for it",
            trigger: "button[name=action_vouch]",
            run: "click",
        },
        {
            content: "Confirm after checking it with the customer",
            trigger: ".modal:contains(after checking it with the customer) .modal-footer button.btn-primary",
            run: "click",
        },
        {
            content: "The dialog is gone",
            trigger: "body:not(:has(.modal))",
        },
        {
            content: "The form says who vouched for it, and it may now be applied",
            trigger:
                ".o_form_view:has(.o_billing_remittance_vouched:visible:contains(Sam Specialist)):has(button[name=action_apply]:visible)",
        },
        {
            content: "The vouching is logged in the chatter",
            trigger: ".o-mail-Message:contains(vouched for this advice)",
        },
        {
            content: "The banner that it only proposes is gone, and the Vouch button with it",
            trigger:
                ".o_form_view:not(:has(.o_billing_remittance_proposes_only:visible)):not(:has(button[name=action_vouch]:visible))",
        },
    ],
});
