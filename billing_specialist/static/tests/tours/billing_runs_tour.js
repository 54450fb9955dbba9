/** @odoo-module */

import { registry } from "@web/core/registry";
import { screenshot } from "@billing_specialist/../tests/tours/billing_screenshot";

const chunk = (number) => `.o_field_widget[name=chunk_ids] .o_data_row:has(td[name=sequence]:contains(${number}))`;

// A billing manager opens a large matching run stuck on a failed chunk (the note on its chatter told her), cancels
// the rest of it: the chunk done stays applied, the others are cancelled, the run is Partly Done.
registry.category("web_tour.tours").add("billing_specialist_runs_tour", {
    steps: () => [
        {
            content: "The chatter says which chunk failed and why",
            trigger: ".o-mail-Message:contains(failed)",
        },
        {
            content: "The Chunks tab",
            trigger: ".o_notebook a:contains(Chunks)",
            run: "click",
        },
        {
            content: "The second chunk failed",
            trigger: `${chunk(2)} td[name=state]:contains(Failed)`,
        },
        screenshot("run-failed-chunk"),
        {
            content: "Cancel the rest of the run",
            trigger: ".o_form_statusbar button[name=action_billing_cancel_rest]",
            run: "click",
        },
        {
            content: "Confirm",
            trigger: ".modal-footer .btn-primary",
            run: "click",
        },
        {
            content: "The confirmation is gone",
            trigger: "body:not(:has(.modal))",
        },
        {
            content: "The run is Partly Done",
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains(Partly Done)",
        },
        {
            content: "The Chunks tab",
            trigger: ".o_notebook a:contains(Chunks)",
            run: "click",
        },
        {
            content: "The chunk done stays done",
            trigger: `${chunk(1)} td[name=state]:contains(Done)`,
        },
        {
            content: "The failed chunk is cancelled",
            trigger: `${chunk(2)} td[name=state]:contains(Cancelled)`,
        },
        {
            content: "The chatter says who cancelled what",
            trigger: ".o-mail-Message:contains(cancelled the rest of the run)",
        },
        {
            content: "Cancel the Rest is gone",
            trigger: ".o_form_statusbar:not(:has(button[name=action_billing_cancel_rest]))",
        },
        screenshot("run-rest-cancelled"),
        {
            content: "Back to the list of runs",
            trigger: ".o_breadcrumb .breadcrumb-item:first-child a",
            run: "click",
        },
        {
            content: "Its count columns have short headers, each read whole",
            trigger: ".o_list_view th[data-name=proposed_count]:contains(To Review)",
            run() {
                const cut = [...document.querySelectorAll(".o_list_view thead th span.text-truncate")].filter(
                    (span) => span.scrollWidth > span.clientWidth
                );
                if (cut.length) {
                    throw new Error(`cut headers: ${cut.map((span) => span.textContent).join(", ")}`);
                }
            },
        },
    ],
});
