/** @odoo-module */

import { registry } from "@web/core/registry";
import { screenshot } from "@billing_specialist/../tests/tours/billing_screenshot";

const { DateTime } = luxon;
const row = (customer) => `.o_list_view .o_data_row:has(td[name=partner_id]:contains(${customer}))`;

// A specialist opens My Worklist (Hooli, whose cash arrived, is last: do not call), logs a call with Acme Retail (who
// promises to pay 1,200 of its 2,000 in 30 days: only the amount promised is paused, the other 800 is still to
// collect; its next action set the day after the promise's deadline), then schedules the next call.
registry.category("web_tour.tours").add("billing_specialist_worklist_tour", {
    steps: () => [
        {
            content: "My Worklist ranks the customer whose promise broke first",
            trigger: ".o_list_view .o_data_row:first-child td[name=partner_id]:contains(Initech)",
        },
        {
            trigger: ".o_list_view .o_data_row td[name=partner_id]:contains(Acme Retail)",
        },
        {
            content: "Hooli's cash arrived (a bank line naming it, not applied): last, marked paid, not to call",
            trigger: ".o_list_view .o_data_row:last-child td[name=partner_id]:contains(Hooli)",
        },
        {
            content: "A paid row stands apart (green)",
            trigger: `.o_list_view .o_data_row.text-success:has(td[name=partner_id]:contains(Hooli))`,
        },
        {
            trigger: `${row("Hooli")} td[name=reason]:contains(paid, not applied yet: do not call)`,
        },
        {
            content: "The figures add up: 500 overdue, 500 unapplied cash, nothing to collect",
            trigger: `${row("Hooli")} td[name=reason]:contains(500.00 unapplied cash)`,
        },
        {
            trigger: `${row("Hooli")} td[name=followup_amount]:contains(0.00)`,
        },
        {
            content: "Each row is one line: the Why is cut, its full text in the cell's tooltip",
            trigger: `${row("Hooli")} td[name=reason][data-tooltip*="do not call"][data-tooltip*="500.00 unapplied cash"]`,
            run() {
                const rows = [...document.querySelectorAll(".o_list_view .o_data_row")];
                const heights = rows.map((tr) => tr.getBoundingClientRect().height);
                if (Math.max(...heights) > Math.min(...heights) * 1.3) {
                    throw new Error(`rows of several heights (${heights}): a Why wraps`);
                }
            },
        },
        screenshot("worklist"),
        {
            content: "Log a call with Acme Retail",
            trigger: ".o_data_row:has(td[name=partner_id]:contains(Acme Retail)) button[name=action_log_call]",
            run: "click",
        },
        {
            content: "The customer promised to pay",
            trigger: ".modal .o_field_widget[name=outcome] input[data-value=promised]",
            run: "click",
        },
        {
            content: "The overdue invoices come prefilled; promise 1,200",
            trigger: ".modal .o_field_widget[name=promise_move_ids] .o_tag",
        },
        {
            trigger: ".modal .o_field_widget[name=promise_amount] input",
            run: "edit 1200",
        },
        {
            trigger: ".modal .o_field_widget[name=promise_date] input",
            run: `edit ${DateTime.now().plus({ days: 30 }).toFormat("MM/dd/yyyy")}`,
        },
        {
            trigger: ".modal .o_field_widget[name=note] textarea",
            run: "edit Pays 1,200 by wire within the month",
        },
        screenshot("worklist-log-call"),
        {
            content: "Log the call: the promise is recorded",
            trigger: ".modal button[name=action_apply]",
            run: "click",
        },
        {
            content: "The dialog is gone (a dialog is not inside the list: look at the whole page)",
            trigger: "body:not(:has(.modal))",
        },
        {
            content: "Back on the worklist, the call is saved: the amount Acme promised shows as promised",
            trigger: `${row("Acme Retail")} td[name=promised_amount]:contains(1,200.00)`,
        },
        {
            content: "Only the amount promised is paused: the other 800 of the invoice is still to collect",
            trigger: `${row("Acme Retail")} td[name=followup_amount]:contains(800.00)`,
        },
        {
            trigger: ".o_list_view .o_data_row:first-child td[name=partner_id]:contains(Initech)",
        },
        {
            content: "The call left a next action: the day after the promise's deadline",
            trigger: `${row("Acme Retail")} td[name=next_action_date]:contains(${DateTime.now()
                .plus({ days: 34 })
                .toFormat("MM/dd/yyyy")})`,
        },
        {
            content: "Schedule the next action for Initech",
            trigger:
                ".o_data_row:has(td[name=partner_id]:contains(Initech)) button[name=action_schedule_next_action]",
            run: "click",
        },
        {
            trigger: ".modal .o_field_widget[name=note] input",
            run: "edit Ask why the promise was missed",
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
            content: "The next action is saved: Initech's row shows its date",
            trigger: `${row("Initech")} td[name=next_action_date]:not(:empty)`,
        },
    ],
});
