/** @odoo-module */

import { registry } from "@web/core/registry";
import { screenshot } from "@billing_specialist/../tests/tours/billing_screenshot";

const holdBanner = ".o_form_view .alert[name=billing_credit_hold_banner]";
const checkBanner = ".o_form_view .alert[name=billing_check_banner]";
const current = (state) => `.o_form_view .o_statusbar_status button.o_arrow_button_current:contains(${state})`;

function seesTheHold() {
    return [
        {
            content: "The draft of a customer on credit hold says so, with its reasons",
            trigger: `${holdBanner}:contains(Acme Retail is on credit hold):contains(above the credit limit)`,
        },
        {
            content: "and what paying releases it",
            trigger: `${holdBanner}:contains(Paying):contains(1,500.00):contains(releases it)`,
        },
        {
            trigger: current("Draft"),
        },
    ];
}

const confirm = {
    content: "Confirm the invoice",
    trigger: ".o_form_view .o_form_statusbar button[name=action_post]:contains(Confirm)",
    run: "click",
};

// Warn mode: the specialist sees the hold, confirms; the invoice is posted and the warning stays on it.
registry.category("web_tour.tours").add("billing_specialist_credit_hold_warn_tour", {
    steps: () => [
        ...seesTheHold(),
        screenshot("credit-hold-invoice"),
        confirm,
        {
            content: "No dialog stops her",
            trigger: "body:not(:has(.modal))",
        },
        {
            content: "The invoice is posted",
            trigger: current("Posted"),
        },
        {
            content: "The warning is recorded on it",
            trigger: `${checkBanner}:contains(Pre-send checks found):contains(Customer on Credit Hold)`,
        },
        {
            content: "The hold's note is for drafts only",
            trigger: ".o_form_view:not(:has(.alert[name=billing_credit_hold_banner]))",
        },
    ],
});

// Block mode: the specialist confirms and is refused, the dialog says why; closed, the invoice is still a draft.
registry.category("web_tour.tours").add("billing_specialist_credit_hold_block_tour", {
    steps: () => [
        ...seesTheHold(),
        confirm,
        {
            content: "Refused: the dialog names the check and the hold",
            trigger: ".modal:contains(Pre-send checks stop posting):contains(Customer on Credit Hold):contains(is on credit hold)",
        },
        {
            content: "Close the dialog",
            trigger: ".modal .modal-footer .btn-primary",
            run: "click",
        },
        {
            content: "The dialog is gone",
            trigger: "body:not(:has(.modal))",
        },
        {
            content: "The invoice is still a draft",
            trigger: current("Draft"),
        },
    ],
});

// Block mode, a billing manager: she overrides the check with a reason; the invoice is posted, the override shown.
registry.category("web_tour.tours").add("billing_specialist_credit_hold_override_tour", {
    steps: () => [
        ...seesTheHold(),
        {
            content: "Run the checks",
            trigger: ".o_form_view .o_form_statusbar button[name=action_billing_run_checks]",
            run: "click",
        },
        {
            content: "The hold blocks the invoice, says the banner",
            trigger: `${checkBanner}:contains(Pre-send checks block this invoice):contains(Customer on Credit Hold)`,
        },
        {
            content: "Override the checks and post",
            trigger: ".o_form_view .o_form_statusbar button[name=action_billing_override_checks]",
            run: "click",
        },
        {
            content: "The wizard lists the hold",
            trigger: ".modal .o_field_widget[name=result_ids]:contains(is on credit hold)",
        },
        {
            content: "Give the reason",
            trigger: ".modal .o_field_widget[name=reason] textarea",
            run: "edit The customer wired 1,500.00 this morning",
        },
        {
            content: "Post",
            trigger: ".modal button[name=action_confirm]",
            run: "click",
        },
        {
            content: "The wizard is gone",
            trigger: "body:not(:has(.modal))",
        },
        {
            content: "The invoice is posted",
            trigger: current("Posted"),
        },
        {
            content: "The override and its reason are on the invoice",
            trigger: `${checkBanner}:contains(Pre-send checks overridden):contains(The customer wired 1,500.00 this morning)`,
        },
    ],
});
