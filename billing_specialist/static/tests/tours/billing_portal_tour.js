/** @odoo-module */

import { registry } from "@web/core/registry";
import { screenshot } from "@billing_specialist/../tests/tours/billing_screenshot";

function selectOptionContaining(text) {
    return function () {
        const option = [...this.anchor.options].find((opt) => opt.text.includes(text));
        this.anchor.value = option.value;
        this.anchor.dispatchEvent(new Event("change", { bubbles: true }));
    };
}

// A customer disputes an invoice with evidence, finds the case in the list and writes to the billing team.
registry.category("web_tour.tours").add("billing_portal_open_dispute_tour", {
    steps: () => [
        {
            content: "Dispute the invoice from its portal page",
            trigger: "a.o_billing_dispute_invoice",
            run: "click",
        },
        {
            trigger: "select[name=reason_id]",
            run: selectOptionContaining("Quantity"),
        },
        {
            trigger: "input[name=amount]",
            run: "edit 300",
        },
        {
            trigger: "textarea[name=description]",
            run: "edit Two of the ten boxes never arrived.",
        },
        {
            content: "Attach the signed delivery note",
            trigger: "input[name=attachments]",
            run() {
                const transfer = new DataTransfer();
                transfer.items.add(new File(["Signed for 8 boxes"], "delivery_note.txt", { type: "text/plain" }));
                this.anchor.files = transfer.files;
            },
        },
        screenshot("portal-dispute-form"),
        {
            trigger: "button[name=submit_dispute]",
            run: "click",
        },
        {
            content: "The case is open",
            trigger: ".alert-success:contains(We received your dispute)",
        },
        {
            content: "and lands with a named specialist, the customer's contact",
            trigger: ".o_portal_contact_details:contains(Sam Specialist)",
        },
        {
            content: "The evidence is on the case",
            trigger: "#chatterRoot:shadow .o-mail-Message:contains(Evidence sent by the customer):contains(delivery_note)",
        },
        screenshot("portal-case"),
        {
            content: "Go to the list of disputes",
            trigger: ".o_portal_submenu a[href='/my/disputes']",
            run: "click",
        },
        {
            content: "The case is listed",
            trigger: ".o_portal_my_doc_table a:contains(DSP/)",
            run: "click",
        },
        {
            content: "Write to the billing team",
            trigger: "#chatterRoot:shadow .o-mail-Composer-input",
            run: "edit The carrier confirms the missing boxes.",
        },
        {
            trigger: "#chatterRoot:shadow .o-mail-Composer-send:enabled",
            run: "click",
        },
        {
            trigger: "#chatterRoot:shadow .o-mail-Message:contains(The carrier confirms the missing boxes.)",
        },
    ],
});

// The customer sees the resolution of the case and opens the credit note.
registry.category("web_tour.tours").add("billing_portal_resolution_tour", {
    steps: () => [
        {
            trigger: ".o_billing_dispute_resolution:contains(Resolved)",
        },
        {
            trigger: ".o_billing_dispute_resolution:contains(accepted for the missing units)",
        },
        screenshot("portal-resolution"),
        {
            content: "Open the credit note",
            trigger: "a.o_billing_credit_note_link",
            run: "click",
        },
        {
            trigger: ".o_portal_sidebar h2:contains(120.00)",
        },
    ],
});

// The customer withdraws a case.
registry.category("web_tour.tours").add("billing_portal_withdraw_tour", {
    steps: () => [
        {
            trigger: ".o_billing_dispute_withdraw summary",
            run: "click",
        },
        {
            trigger: ".o_billing_dispute_withdraw button[name=withdraw]",
            run: "click",
        },
        {
            trigger: ".alert-info:contains(You withdrew this dispute)",
        },
        {
            trigger: ".badge:contains(Cancelled)",
        },
    ],
});
