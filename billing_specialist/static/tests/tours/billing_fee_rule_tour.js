/** @odoo-module */

import { registry } from "@web/core/registry";
import { screenshot } from "@billing_specialist/../tests/tours/billing_screenshot";

// A billing manager opens Billing > Configuration > Fee Rules and writes a rule: bank charges up to 25.00 whose
// label says fee, charge or frais go to 6270 Bank charges. Saved, the form shows it; back on the list, it is there.
registry.category("web_tour.tours").add("billing_specialist_fee_rule_tour", {
    steps: () => [
        {
            content: "The apps menu",
            trigger: ".o_navbar_apps_menu button",
            run: "click",
        },
        {
            content: "The Billing app",
            trigger: ".o_app[data-menu-xmlid='billing_specialist.billing_menu_root']",
            run: "click",
        },
        {
            content: "Configuration",
            trigger: ".o_main_navbar [data-menu-xmlid='billing_specialist.billing_config_menu']",
            run: "click",
        },
        {
            content: "Fee Rules",
            trigger: ".dropdown-item[data-menu-xmlid='billing_specialist.billing_match_fee_rule_menu']",
            run: "click",
        },
        {
            content: "The Fee Rules list",
            trigger: ".o_control_panel .o_breadcrumb:contains(Fee Rules)",
        },
        {
            content: "New",
            trigger: ".o_control_panel .o_list_button_add",
            run: "click",
        },
        {
            content: "Its name",
            trigger: ".o_field_widget[name=name] input",
            run: "edit Bank fees",
        },
        {
            content: "The words of the label",
            trigger: ".o_field_widget[name=label_pattern] input",
            run: "edit fee, charge, frais",
        },
        {
            content: "Up to 25.00",
            trigger: ".o_field_widget[name=max_amount] input",
            run: "edit 25",
        },
        {
            content: "The account: search 6270",
            trigger: ".o_field_widget[name=account_id] input",
            run: "edit 6270",
        },
        {
            content: "Choose 6270 Bank charges",
            trigger: ".o-autocomplete--dropdown-menu a:contains(6270 Bank charges)",
            run: "click",
        },
        {
            content: "The account is chosen",
            trigger: ".o_field_widget[name=account_id] input:value(6270 Bank charges)",
        },
        {
            content: "Save",
            trigger: ".o_form_button_save:enabled",
            run: "click",
        },
        {
            content: "Saved: the rule with its words and account",
            trigger:
                ".o_form_saved:has(.o_field_widget[name=label_pattern] input:value(fee, charge, frais)):has(.o_field_widget[name=account_id] input:value(6270 Bank charges))",
        },
        screenshot("fee-rule-form"),
        {
            content: "Back to the list",
            trigger: ".o_breadcrumb a:contains(Fee Rules)",
            run: "click",
        },
        {
            content: "The rule is listed, with its range and account",
            trigger: ".o_list_view .o_data_row:has(td:contains(Bank fees)):has(td:contains(25.00)):has(td:contains(6270 Bank charges))",
        },
    ],
});
