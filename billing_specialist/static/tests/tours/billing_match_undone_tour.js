/** @odoo-module */

import { registry } from "@web/core/registry";
import { screenshot } from "@billing_specialist/../tests/tours/billing_screenshot";

const line = ".o_field_widget[name=line_ids] .o_data_row";

// A specialist undoes an automatic matching run: its applied line then reads Undone, with who undid it and when, in
// the Payments and Bank Lines tab and on the run itself.
registry.category("web_tour.tours").add("billing_specialist_match_undone_tour", {
    steps: () => [
        {
            content: "The run's line reads Applied",
            trigger: `${line} td[name=status]:contains(Applied)`,
        },
        {
            content: "Undo the run",
            trigger: ".o_form_statusbar button[name=action_undo]",
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
            content: "The run is Undone",
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains(Undone)",
        },
        {
            content: "The run says it was undone, by whom and when",
            trigger: ".alert-secondary:contains(This run was undone)",
        },
        {
            content: "by whom",
            trigger: ".o_field_widget[name=undone_by_id]:contains(Sam Specialist)",
        },
        {
            content: "and when",
            trigger: ".o_field_widget[name=undone_date]:not(:empty)",
        },
        {
            content: "The line reads Undone, not Applied",
            trigger: `${line}:not(:has(td[name=status]:contains(Applied))) td[name=status]:contains(Undone)`,
        },
        {
            content: "The line says who undid it",
            trigger: `${line} td[name=undone_by_id]:contains(Sam Specialist)`,
        },
        {
            content: "and when, on the line",
            trigger: `${line} td[name=undone_date]:not(:empty)`,
        },
        screenshot("run-undone"),
    ],
});
