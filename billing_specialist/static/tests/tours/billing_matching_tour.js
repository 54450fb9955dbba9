/** @odoo-module */

import { registry } from "@web/core/registry";

// A specialist reviews a proposal left below the threshold, accepts it and applies it.
registry.category("web_tour.tours").add("billing_specialist_matching_tour", {
    steps: () => [
        {
            content: "The proposal explains itself",
            trigger: ".modal .o_field_widget[name=line_ids] .o_data_row td[name=reasons]:contains(2 items sum to the amount)",
        },
        {
            content: "Below the threshold, it is not ticked: tick it",
            trigger: ".modal .o_field_widget[name=line_ids] .o_data_row td[name=selected] input:not(:checked)",
            run: "click",
        },
        {
            trigger: ".modal .o_field_widget[name=line_ids] .o_data_row td[name=selected] input:checked",
        },
        {
            content: "Apply",
            trigger: ".modal button[name=action_apply]",
            run: "click",
        },
        {
            trigger: ".o_notification:contains(1 payments applied)",
        },
    ],
});
