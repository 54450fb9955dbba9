/** @odoo-module */

import { registry } from "@web/core/registry";
import { rpc } from "@web/core/network/rpc";
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

// The customer's advice file, as they would write it: their invoices tagged by the test (payment reference T-...).
async function adviceFile() {
    const rows = [
        ["T-FULL", "1200.00", "", ""],
        ["T-DEDUCTION", "410.00", "40.00", "DAMAGED"],
        ["INV/2099/99999", "50.00", "", ""],
        ["T-OTHER", "700.00", "", ""],
        ["T-PAID", "200.00", "", ""],
        ["T-OVER", "150.00", "", ""],
        ["T-CURRENCY", "500.00", "", ""],
    ];
    const moves = await rpc("/web/dataset/call_kw/account.move/search_read", {
        model: "account.move",
        method: "search_read",
        args: [[["payment_reference", "in", rows.map((row) => row[0])]], ["name", "payment_reference"]],
        kwargs: {},
    });
    const names = Object.fromEntries(moves.map((move) => [move.payment_reference, move.name]));
    const lines = rows.map(([tag, ...rest]) => [names[tag] || tag, ...rest].join(","));
    return ["Invoice,Paid,Deducted,Reason", ...lines].join("\n") + "\n";
}

// A specialist imports an advice file: each line says what it was understood as, before any matching.
registry.category("web_tour.tours").add("billing_specialist_remittance_lines_tour", {
    steps: () => [
        {
            content: "Open the Payment Matching menu",
            trigger: ".o_main_navbar [data-menu-xmlid='billing_specialist.billing_payment_matching_menu']",
            run: "click",
        },
        {
            content: "Import a Remittance Advice",
            trigger: ".dropdown-item[data-menu-xmlid='billing_specialist.billing_remittance_import_menu']",
            run: "click",
        },
        {
            content: "Choose the customer",
            trigger: ".modal .o_field_widget[name=partner_id] input",
            run: "edit Acme Retail",
        },
        {
            content: "Pick Acme Retail",
            trigger: ".ui-autocomplete .dropdown-item:contains(Acme Retail)",
            run: "click",
        },
        {
            content: "The customer's format is chosen",
            trigger: ".modal .o_field_widget[name=format_id] input:value(Acme with deductions)",
        },
        {
            content: "The advice's reference",
            trigger: ".modal .o_field_widget[name=reference] input",
            run: "edit REMIT-7731",
        },
        {
            content: "Attach the advice file",
            trigger: ".modal .o_field_widget[name=file]",
            async run() {
                const input = document.querySelector(".modal .o_field_widget[name=file] input[type=file]");
                const transfer = new DataTransfer();
                transfer.items.add(new File([await adviceFile()], "advice.csv", { type: "text/csv" }));
                input.files = transfer.files;
                input.dispatchEvent(new Event("change", { bubbles: true }));
            },
        },
        {
            content: "The file is attached",
            trigger: ".modal .o_field_widget[name=file] input.o_input:value(advice.csv)",
        },
        {
            content: "Import",
            trigger: ".modal .modal-footer button[name=action_import]",
            run: "click",
        },
        {
            content: "The dialog is gone",
            trigger: "body:not(:has(.modal))",
        },
        {
            content: "The advice is saved and waits for its payment: nothing was matched",
            trigger:
                ".o_form_view:has(.o_field_widget[name=reference] input:value(REMIT-7731)) .o_statusbar_status .o_arrow_button_current:contains(Waiting for Payment)",
        },
        {
            content: "Line 1: the invoice found (a link, its open amount), paid in full",
            trigger:
                ".o_field_widget[name=line_ids] .o_data_row:nth-child(1):has(td[name=understood_state]:contains(Found)):not(:has(td[name=understood_state]:contains(Deduction))):has(td[name=understood_move_id]:contains(INV/)):has(button[name=action_open_invoice]):has(td[name=understood_amount_open]:contains(1,200.00)):contains(pays it in full)",
        },
        {
            content: "The invoice found is read whole, never cut",
            trigger: ".o_field_widget[name=line_ids] .o_data_row:nth-child(1) td[name=understood_move_id]:contains(INV/)",
            run() {
                const cell = this.anchor;
                if (cell.scrollWidth > cell.clientWidth) {
                    throw new Error(`the invoice found is cut: ${cell.textContent}`);
                }
            },
        },
        {
            content: "Line 2: found, with the deduction and its reason code",
            trigger:
                ".o_field_widget[name=line_ids] .o_data_row:nth-child(2):has(td[name=understood_state]:contains(Found, Deduction)):contains(reason code 'DAMAGED')",
        },
        {
            content: "Line 3: a number nobody has is not found for this customer",
            trigger:
                ".o_field_widget[name=line_ids] .o_data_row:nth-child(3):has(td[name=understood_state]:contains(Not Found)):contains(Not found for this customer)",
        },
        {
            content: "Line 4: another customer's invoice reads the same, naming nothing of theirs",
            trigger:
                ".o_field_widget[name=line_ids] .o_data_row:nth-child(4):has(td[name=understood_state]:contains(Not Found)):contains(Not found for this customer):not(:contains(Globex)):not(:has(button[name=action_open_invoice]))",
        },
        {
            content: "Line 5: the invoice is paid already",
            trigger:
                ".o_field_widget[name=line_ids] .o_data_row:nth-child(5):has(td[name=understood_state]:contains(Already Paid)):contains(nothing is open)",
        },
        {
            content: "Line 6: more than the invoice's open amount",
            trigger:
                ".o_field_widget[name=line_ids] .o_data_row:nth-child(6):has(td[name=understood_state]:contains(More Than Open)):contains(open for)",
        },
        {
            content: "Line 7: the invoice is in another currency",
            trigger:
                ".o_field_widget[name=line_ids] .o_data_row:nth-child(7):has(td[name=understood_state]:contains(Other Currency)):contains(is in EUR)",
        },
        {
            content: "The counts: 2 understood, 5 not understood",
            trigger: ".o_billing_remittance_understood:contains(2 understood):contains(5 not understood)",
        },
        screenshot("remittance-lines"),
        {
            content: "Open the invoice found on line 1",
            trigger: ".o_field_widget[name=line_ids] .o_data_row:nth-child(1) button[name=action_open_invoice]",
            run: "click",
        },
        {
            content: "The invoice opens, with a way back to the advice",
            trigger:
                ".o_form_view .o_breadcrumb:has(.breadcrumb-item a:contains(RA)) .o_last_breadcrumb_item:contains(INV/)",
        },
    ],
});
