/** @odoo-module */

import { registry } from "@web/core/registry";
import { screenshot } from "@billing_specialist/../tests/tours/billing_screenshot";

/** The pivot row of `name`'s figures: [low, expected, high] per week, then the total (numbers). */
function pivotRow(name) {
    const row = [...document.querySelectorAll(".o_pivot tbody tr")].find((tr) =>
        tr.querySelector("th")?.textContent.includes(name)
    );
    if (!row) {
        throw new Error(`No pivot row for ${name}`);
    }
    return [...row.querySelectorAll("td")].map((td) => {
        const text = td.textContent.trim();
        return text ? parseFloat(text.replace(/[^\d.-]/g, "")) : null;
    });
}

// Billing > Reporting > Cash Outlook: the next 13 weeks as columns, each with Low, Expected and High; regrouped by
// customer, Acme Retail's second week shows its band (low 0, expected 1,250, high 2,000), then the graph.
registry.category("web_tour.tours").add("billing_specialist_outlook_tour", {
    steps: () => [
        {
            content: "The pivot opens with the three measures of the band",
            trigger: ".o_pivot thead:contains(Low):contains(Expected):contains(High)",
        },
        {
            content: "Thirteen weeks, empty ones included",
            trigger: ".o_pivot thead",
            run() {
                const weeks = document.querySelectorAll(".o_pivot thead th.o_pivot_header_cell_closed");
                if (weeks.length !== 13) {
                    throw new Error(`${weeks.length} week columns, not 13`);
                }
            },
        },
        {
            content: "Fold the rows to regroup them",
            trigger: ".o_pivot tbody tr:first-child th.o_pivot_header_cell_opened",
            run: "click",
        },
        {
            content: "Open the row groupings",
            trigger: ".o_pivot tbody tr:first-child th.o_pivot_header_cell_closed",
            run: "click",
        },
        {
            content: "By customer",
            trigger: ".o-dropdown--menu .o_menu_item:contains(Customer)",
            run: "click",
        },
        {
            content: "One row per customer",
            trigger: ".o_pivot tbody th:contains(Globex Stores)",
        },
        {
            content: "Acme Retail's band in its second week: low < expected < high",
            trigger: ".o_pivot tbody th:contains(Acme Retail)",
            run() {
                const [low, expected, high] = pivotRow("Acme Retail").slice(3, 6);
                if (!(low === 0 && expected === 1250 && high === 2000)) {
                    throw new Error(`Acme Retail's second week: ${low} / ${expected} / ${high}`);
                }
            },
        },
        screenshot("outlook"),
        {
            content: "The graph of the same weeks",
            trigger: ".o_switch_view.o_graph",
            run: "click",
        },
        {
            trigger: ".o_graph_renderer canvas",
        },
        {
            content: "The list of the same rows",
            trigger: ".o_switch_view.o_list",
            run: "click",
        },
        {
            // walk of issue 24: 15 columns cut every text to a few letters at 1,400 px ("Next 13 W...", "Few paym...")
            content: "The list reads: the reason has room, the section, basis and band's dates are optional columns",
            trigger: ".o_list_table th[data-name=reason]",
            run() {
                const width = document.querySelector(".o_list_table th[data-name=reason]").offsetWidth;
                if (width < 200) {
                    throw new Error(`The Reason column is ${width} px wide`);
                }
                for (const name of ["section", "basis", "date_early", "date_late"]) {
                    if (document.querySelector(`.o_list_table th[data-name=${name}]`)) {
                        throw new Error(`The ${name} column is shown by default`);
                    }
                }
            },
        },
    ],
});
