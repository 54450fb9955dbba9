/** @odoo-module */

import { registry } from "@web/core/registry";
import { screenshot } from "@billing_specialist/../tests/tours/billing_screenshot";

const row = (customer) => `.o_list_view .o_data_row:has(td[name=partner_id]:contains(${customer}))`;
const item = (state) => `.o_field_widget[name=cockpit_item_ids] .o_data_row:has(.o_field_badge:contains(${state}))`;
const collector = (name) => `.o_list_view .o_data_row:has(td[name=user_id]:contains(${name}))`;

// A billing manager opens Acme Retail's screen from the worklist row, then the team's workload.
registry.category("web_tour.tours").add("billing_specialist_cockpit_tour", {
    steps: () => [
        {
            content: "The worklist row names its actions in words",
            trigger: `${row("Acme Retail")} button[name=action_log_call]:contains(Call)`,
        },
        {
            content: "The row's last action is inside the window (no horizontal scrolling at 1366 px)",
            trigger: `${row("Acme Retail")} button[name=action_schedule_next_action]:contains(Next)`,
            run() {
                const right = this.anchor.getBoundingClientRect().right;
                if (right > document.documentElement.clientWidth) {
                    throw new Error(`The row's actions end at ${right} px, past the window's width`);
                }
            },
        },
        {
            content: "Open the customer screen from the row",
            trigger: `${row("Acme Retail")} button[name=action_open_cockpit]:contains(Open)`,
            run: "click",
        },
        {
            content: "The customer screen of Acme Retail",
            trigger: ".o_form_view .o_field_widget[name=partner_id]:contains(Acme Retail)",
        },
        {
            content: "Its open invoices, each with its state and open amount",
            trigger: `${item("Overdue")} td[name=amount_residual]:contains(1,000.00)`,
        },
        {
            trigger: `${item("In Dispute")} td[name=amount_residual]:contains(2,000.00)`,
        },
        {
            trigger: `${item("Promised")} td[name=amount_residual]:contains(3,000.00)`,
        },
        {
            content: "The balance: overdue, in dispute, promised and unapplied cash",
            trigger: ".o_field_widget[name=cockpit_overdue_amount]:contains(6,000.00)",
        },
        {
            trigger: ".o_field_widget[name=cockpit_disputed_amount]:contains(500.00)",
        },
        {
            trigger: ".o_field_widget[name=cockpit_unapplied_amount]:contains(250.00)",
        },
        {
            content: "The follow-up level and the next action",
            trigger: ".o_field_widget[name=level_id]:contains(Firm Reminder)",
        },
        {
            trigger: ".o_field_widget[name=next_action_note]:contains(Call about the old invoice)",
        },
        {
            content: "The contact to call, with phone and e-mail",
            trigger:
                ".o_field_widget[name=cockpit_contact_ids] .o_data_row:has(td[name=phone]:contains(+1 555 0100)) td[name=email]:contains(alice@acme.example.com)",
        },
        {
            content: "The call logged with the customer",
            trigger: ".o_field_widget[name=cockpit_call_ids] .o_data_row td[name=body]:contains(Will pay the old invoice)",
        },
        screenshot("cockpit-customer"),
        {
            content: "The promises",
            trigger: ".o_notebook a[name=cockpit_promises]",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name=cockpit_promise_ids] .o_data_row td[name=amount]:contains(3,000.00)",
        },
        {
            content: "The unapplied cash: the payment not yet applied",
            trigger: ".o_notebook a[name=cockpit_unapplied]",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name=cockpit_unapplied_line_ids] .o_data_row td[name=amount_residual]:contains(250.00)",
        },
        {
            content: "The dispute case",
            trigger: ".o_notebook a[name=cockpit_disputes]",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name=cockpit_dispute_ids] .o_data_row td[name=amount_disputed]:contains(500.00)",
        },
        {
            content: "Collections menu",
            trigger: ".o_main_navbar button.dropdown-toggle:contains(Collections)",
            run: "click",
        },
        {
            content: "The team lead's view",
            trigger: ".dropdown-menu .dropdown-item:contains(Team Workload)",
            run: "click",
        },
        {
            content: "Sam's workload: two customers, 1,500 overdue, one promise due today, one kept and one broken",
            trigger: `${collector("Sam Specialist")} td[name=overdue_amount]:contains(1,500.00)`,
        },
        {
            trigger: `${collector("Sam Specialist")} td[name=promise_today_count]:contains(1)`,
        },
        {
            trigger: `${collector("Sam Specialist")} td[name=kept_rate]:contains(50 %)`,
        },
        {
            content: "Collected this month: 450, against nothing the same days of last month (n/a)",
            trigger: `${collector("Sam Specialist")} td[name=collected_amount]:contains(450.00)`,
        },
        {
            trigger: `${collector("Sam Specialist")} td[name=collected_trend]:contains(n/a)`,
        },
        {
            content: "Morgan's own customers: Acme Retail, 6,000 overdue",
            trigger: `${collector("Morgan Manager")} td[name=overdue_amount]:contains(6,000.00)`,
        },
        {
            content: "The total of the overdue column, in the company's currency",
            trigger: ".o_list_view tfoot td:contains(7,500.00):contains($)",
        },
        screenshot("cockpit-team"),
        {
            content: "Sam's customers",
            trigger: `${collector("Sam Specialist")} button[name=action_open_worklist]`,
            run: "click",
        },
        {
            content: "The worklist of Sam's customers: Initech and Globex Stores, not Acme Retail",
            trigger: ".o_list_view .o_data_row td[name=partner_id]:contains(Initech)",
        },
        {
            trigger: ".o_list_view .o_data_row td[name=partner_id]:contains(Globex Stores)",
        },
        {
            trigger: ".o_list_view:not(:has(td[name=partner_id]:contains(Acme Retail)))",
        },
    ],
});
