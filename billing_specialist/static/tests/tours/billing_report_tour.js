/** @odoo-module */

import { registry } from "@web/core/registry";
import { screenshot } from "@billing_specialist/../tests/tours/billing_screenshot";

// The billing report, full page: last month against the month before, a bucket of the aging (for one customer)
// drilled down to its items open on the period's last day beside what is open now, then back by the breadcrumb to
// the report with its period and filters unchanged.
registry.category("web_tour.tours").add("billing_specialist_report_tour", {
    steps: () => [
        {
            content: "The report opens full page, not in a dialog",
            trigger: "body:not(:has(.modal)) .o_action_manager .o_form_view .o_billing_kpis",
        },
        {
            content: "No field takes the focus on open: the start date is not selected for typing over",
            trigger: ".o_form_view .o_field_widget[name=date_from] input",
            run() {
                const focused = document.activeElement;
                if (focused && focused.closest(".o_form_view .o_field_widget")) {
                    throw new Error(`A field has the focus on open: ${focused.closest(".o_field_widget").getAttribute("name")}`);
                }
            },
        },
        {
            content: "Key figures, grouped, each with its change against the previous period",
            trigger: ".o_billing_kpis tr[data-kpi=invoices_issued_count]:contains(+2)",
        },
        {
            content: "Gross and net say which is which",
            trigger: ".o_billing_kpis tr[data-kpi=net_sales]:contains(Invoiced (net of credit notes))",
        },
        {
            trigger: ".o_billing_kpis thead:contains(Disputes)",
        },
        screenshot("report"),
        {
            content: "A customer filter, to find again after the drill-down",
            trigger: ".o_field_widget[name=partner_ids] input",
            run: "edit Acme",
        },
        {
            trigger: ".o-autocomplete--dropdown-item:contains(Acme Retail)",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name=partner_ids] .o_tag:contains(Acme Retail)",
        },
        {
            content: "The aged receivables",
            trigger: ".o_notebook a:contains(Aged Receivables)",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name=aging_line_ids] .o_data_row:contains(Acme Retail)",
        },
        {
            content: "Only the chosen customer: Globex is filtered out",
            trigger: ".o_field_widget[name=aging_line_ids]:not(:has(.o_data_row:contains(Globex Stores)))",
        },
        {
            content: "Drill down into the bucket 1-30 days overdue",
            trigger: ".o_field_widget[name=aging_bucket_line_ids] .o_data_row:contains(1-30) button[name=action_open_items]",
            run: "click",
        },
        {
            content: "The bucket's items, the report kept in the breadcrumbs",
            trigger: ".o_breadcrumb:contains(Billing Report):contains(Open items in 1-30 on)",
        },
        {
            content: "Open on the as-of date, beside open now",
            trigger: ".o_list_view th:contains(Open on ):contains(/)",
        },
        {
            trigger: ".o_list_view th:contains(Open now)",
        },
        {
            content: "A payment after the period: 900.00 open on the last day, 500.00 open now",
            trigger: ".o_list_view .o_data_row:contains(INV/):contains(900.00):contains(500.00)",
        },
        screenshot("report-drilldown"),
        {
            content: "Back to the report by the breadcrumb",
            trigger: ".o_breadcrumb .breadcrumb-item a:contains(Billing Report)",
            run: "click",
        },
        {
            content: "The report is back with the same customer filter...",
            trigger: ".o_form_view .o_field_widget[name=partner_ids] .o_tag:contains(Acme Retail)",
        },
        {
            content: "... and the same period",
            trigger: ".o_form_view .o_field_widget[name=period_preset] select",
            run() {
                const preset = document.querySelector(".o_field_widget[name=period_preset] select").value;
                if (!preset.includes("last_month")) {
                    throw new Error(`The report came back with the period ${preset}, not last month`);
                }
            },
        },
        {
            content: "The report's figures are there again, for the same customer",
            trigger: ".o_field_widget[name=aging_line_ids] .o_data_row:contains(Acme Retail)",
        },
    ],
});
