/** @odoo-module */

import { registry } from "@web/core/registry";
import { screenshot } from "@billing_specialist/../tests/tours/billing_screenshot";

const current = (state) => `.o_statusbar_status button.o_arrow_button_current[data-value=${state}]`;

// A billing specialist opens a held customer's quotation: the red banner says why and what to pay; Confirm is
// refused with the same reasons and the quotation stays a quotation.
registry.category("web_tour.tours").add("billing_specialist_sale_hold_refused_tour", {
    steps: () => [
        {
            content: "The banner: on credit hold, why, and the amount to release",
            trigger: ".o_billing_credit_banner.alert-danger:contains(above the credit limit):contains(500.00)",
        },
        {
            content: "A specialist has no override",
            trigger: ".o_form_view:not(:has(button[name=action_billing_override_hold]))",
        },
        {
            trigger: `${current("draft")}`,
        },
        {
            content: "Confirm",
            trigger: ".o_form_statusbar button[name=action_confirm]:visible",
            run: "click",
        },
        {
            content: "Refused, with the reasons and the amount to release",
            trigger: ".modal .modal-body:contains(is on credit hold):contains(Amount to release)",
        },
        screenshot("sale-hold-refused"),
        {
            trigger: ".modal .modal-footer button.btn-primary",
            run: "click",
        },
        {
            content: "The dialog is closed",
            trigger: "body:not(:has(.modal))",
        },
        {
            content: "Still a quotation",
            trigger: `${current("draft")}`,
        },
    ],
});

// A billing manager confirms it despite the hold, with a reason that the chatter keeps.
registry.category("web_tour.tours").add("billing_specialist_sale_hold_override_tour", {
    steps: () => [
        {
            content: "The banner on the held quotation",
            trigger: ".o_billing_credit_banner.alert-danger:contains(above the credit limit)",
        },
        screenshot("sale-order-hold"),
        {
            content: "Confirm despite Credit Hold",
            trigger: ".o_form_statusbar button[name=action_billing_override_hold]",
            run: "click",
        },
        {
            content: "The wizard shows why the customer is held",
            trigger: ".modal .o_field_widget[name=credit_reasons]:contains(above the credit limit)",
        },
        {
            trigger: ".modal .o_field_widget[name=reason] textarea",
            run: "edit Strategic order agreed with the CFO",
        },
        screenshot("sale-hold-override"),
        {
            trigger: ".modal button[name=action_confirm_order]",
            run: "click",
        },
        {
            content: "The wizard is closed",
            trigger: "body:not(:has(.modal))",
        },
        {
            content: "The order is confirmed",
            trigger: `${current("sale")}`,
        },
        {
            content: "The chatter keeps who, why and the hold's reasons",
            trigger: ".o-mail-Message-body:contains(Confirmed despite the credit hold):contains(Strategic order agreed with the CFO)",
        },
        {
            content: "No override on a confirmed order",
            trigger: ".o_form_view:not(:has(button[name=action_billing_override_hold]))",
        },
    ],
});
