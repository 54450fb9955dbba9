/** @odoo-module */

import { registry } from "@web/core/registry";
import { screenshot } from "@billing_specialist/../tests/tours/billing_screenshot";

const row = (text) => `.o_billing_workbench_rows .o_data_row:contains(${text})`;
const panel = ".o_billing_workbench_panel .o_form_view";

// The matching workbench at 1400x900: rows on the left (one line each, 12 or more visible), the selected row's panel
// on the right. A specialist sees an invoice claimed by two rows, then pays a short payment's invoice in full with a
// write-off (the difference follows each edit) and applies it from the panel: the row leaves, no dialog.
registry.category("web_tour.tours").add("billing_specialist_matching_workbench_tour", {
    steps: () => [
        {
            content: "The rows are listed, one line each",
            trigger: `${row("short payment")}`,
            run() {
                const rows = [...document.querySelectorAll(".o_billing_workbench_rows .o_data_row")];
                const heights = rows.map((tr) => tr.getBoundingClientRect().height);
                if (Math.max(...heights) > Math.min(...heights) * 1.3) {
                    throw new Error(`rows of several heights (${heights}): a row wraps`);
                }
                const bottom = window.innerHeight;
                const visible = rows.filter((tr) => tr.getBoundingClientRect().bottom <= bottom);
                if (visible.length < 12) {
                    throw new Error(`${visible.length} rows visible, not 12 (window ${window.innerHeight})`);
                }
            },
        },
        {
            content: "The first row is in the panel on load, without a click",
            trigger: `.o_billing_workbench_rows .o_data_row:first-child.o_billing_workbench_current`,
        },
        {
            trigger: `${panel} .o_billing_workbench_name`,
        },
        {
            content: "The hint says a row's changes are saved when moving to another row",
            trigger: ".o_billing_workbench_hint:contains(Changes are saved when you move to another row)",
        },
        {
            content: "Whole numbers and customers, a short Payment header, the Twice column without a header",
            trigger: `.o_billing_workbench_rows th[data-name=name]:contains(Payment):not(:contains(Bank))`,
            run() {
                const header = document.querySelector(".o_billing_workbench_rows th[data-name=duplicate_badge]");
                if (header.textContent.trim()) {
                    throw new Error(`the Twice column has a header: ${header.textContent}`);
                }
                const button = document.querySelector(".o_control_panel button[name=action_refresh]");
                if (button.textContent.trim() !== "Refresh" || button.scrollWidth > button.clientWidth) {
                    throw new Error(`the Refresh button reads "${button.textContent.trim()}" or is cut`);
                }
                const cut = [
                    ...document.querySelectorAll(
                        ".o_billing_workbench_rows .o_data_row td:is([name=name], [name=partner_id], [name=date], [name=confidence_band], [name=duplicate_badge])"
                    ),
                ].filter((td) => td.scrollWidth > td.clientWidth);
                if (cut.length) {
                    throw new Error(`cut cells: ${cut.map((td) => td.textContent).join(", ")}`);
                }
            },
        },
        {
            content: "Both rows claiming the same invoice are flagged in the list",
            trigger: `${row("remittance to follow")} td[name=duplicate_badge]:contains(Twice)`,
        },
        {
            trigger: `${row("INV/")}:not(:contains(short)) td[name=duplicate_badge]:contains(Twice)`,
        },
        {
            content: "Select the row of the invoice claimed twice",
            trigger: `${row("remittance to follow")} td[name=partner_id]`,
            run: "click",
        },
        {
            content: "The panel says which other row claims it",
            trigger: `${panel} .o_billing_duplicate_claim:contains(is also claimed by):contains(900.00)`,
        },
        screenshot("workbench-duplicate"),
        {
            content: "Select the short payment",
            trigger: `${row("short payment")} td[name=partner_id]`,
            run: "click",
        },
        {
            content: "Its full memo, payer, payment amount and unapplied remainder, labelled",
            trigger: `${panel} .o_field_widget[name=memo]:contains(bank charges deducted by our bank)`,
        },
        {
            trigger: `${panel} .o_field_widget[name=partner_id]:contains(Acme Retail)`,
        },
        {
            trigger: `${panel} label:contains(Payment Amount)`,
        },
        {
            trigger: `${panel} label:contains(Unapplied Remainder)`,
        },
        {
            content: "The reasons in full, and the customer's other open items, addable",
            trigger: `${panel} .o_billing_workbench_reasons .o_field_widget[name=reasons]:not(:empty)`,
        },
        {
            trigger: `${panel} .o_billing_open_item:contains(1,200.00) .o_billing_open_item_add`,
        },
        {
            content: "The open items' columns are named, their due date too",
            trigger: `${panel} .o_billing_open_items thead th:contains(Due Date)`,
        },
        {
            content: "The row is marked as the one in the panel",
            trigger: `${row("short payment")}.o_billing_workbench_current`,
        },
        {
            content: "Before editing, nothing is left over",
            trigger: `${panel} .o_field_widget[name=remainder]:contains(0.00)`,
        },
        {
            content: "Pay the invoice in full",
            trigger: `${panel} .o_field_widget[name=allocation_ids] .o_data_row td[name=amount]`,
            run: "click",
        },
        {
            trigger: `${panel} .o_field_widget[name=allocation_ids] .o_data_row td[name=amount] input`,
            run: "edit 300",
        },
        {
            content: "The difference follows at once: the invoice asks 10 more than the payment has",
            trigger: `${panel} .o_field_widget[name=writeoff] input`,
            run: "click",
        },
        {
            trigger: `${panel} .o_field_widget[name=remainder]:contains(-10.00)`,
        },
        {
            content: "Write the 10 short off",
            trigger: `${panel} .o_field_widget[name=writeoff] input`,
            run: "edit 10",
        },
        {
            trigger: `${panel} .o_field_widget[name=allocation_ids]`,
            run: "click",
        },
        {
            content: "The difference is back to zero",
            trigger: `${panel} .o_field_widget[name=remainder]:not(:contains(-)):contains(0.00)`,
        },
        {
            content: "The selection total stays on screen",
            trigger: `${row("short payment")} .o_list_record_selector input`,
            run: "click",
        },
        {
            trigger: ".o_billing_workbench_selection:contains(1 selected):contains(290.00)",
        },
        screenshot("workbench"),
        {
            trigger: `${row("short payment")} .o_list_record_selector input`,
            run: "click",
        },
        {
            content: "Apply from the panel",
            trigger: `${panel} button[name=action_apply]`,
            run: "click",
        },
        {
            content: "The confirmation names the manual run",
            trigger: ".o_notification:contains(1 applied, recorded in Manual matching)",
        },
        {
            content: "The row is gone, the workbench stays, no dialog",
            trigger: `body:not(:has(.modal)) .o_billing_workbench_rows:not(:has(.o_data_row:contains(short payment)))`,
        },
        {
            content: "and the next row is in the panel",
            trigger: `.o_billing_workbench_rows .o_data_row.o_billing_workbench_current`,
        },
        {
            content: "Refresh reloads in place: still one breadcrumb",
            trigger: ".o_control_panel button[name=action_refresh]",
            run: "click",
        },
        {
            trigger: `.o_control_panel .o_breadcrumb:not(:has(.breadcrumb-item)) .active:contains(Match Payments)`,
        },
        {
            content: "The rows were rebuilt: no dialog, the first row is in the panel",
            trigger: `body:not(:has(.modal)) .o_billing_workbench_rows .o_data_row:first-child.o_billing_workbench_current`,
        },
        {
            trigger: `${row("remittance to follow")}`,
        },
        {
            content: "Back to the row that claims the invoice twice: add another open item of the customer",
            trigger: `${row("remittance to follow")} td[name=partner_id]`,
            run: "click",
        },
        {
            trigger: `${panel} .o_field_widget[name=memo]:contains(remittance to follow)`,
        },
        {
            trigger: `${panel} .o_billing_open_item:contains(1,200.00) .o_billing_open_item_add`,
            run: "click",
        },
        {
            content: "It joins the invoices: nothing was left, so its open amount, and the difference says so",
            trigger: `${panel} .o_field_widget[name=allocation_ids] .o_data_row:contains(1,200.00)`,
        },
        {
            trigger: `${panel} .o_field_widget[name=remainder]:contains(-1,200.00)`,
        },
    ],
});
