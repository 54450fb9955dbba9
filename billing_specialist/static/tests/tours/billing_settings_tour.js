/** @odoo-module */

import { registry } from "@web/core/registry";
import { screenshot } from "@billing_specialist/../tests/tours/billing_screenshot";

// A billing manager without Administration rights opens Billing > Configuration > Settings: Odoo's Settings with the
// Billing block only. She changes the aging buckets and switches Collections off (its settings go), saves; after the
// reload the value is there and the Collections menu is gone.
registry.category("web_tour.tours").add("billing_specialist_settings_tour", {
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
            content: "Collections is in use: its menu shows",
            trigger: ".o_main_navbar [data-menu-xmlid='billing_specialist.billing_collections_menu']",
        },
        {
            content: "Configuration",
            trigger: ".o_main_navbar [data-menu-xmlid='billing_specialist.billing_config_menu']",
            run: "click",
        },
        {
            content: "Settings",
            trigger: ".dropdown-item[data-menu-xmlid='billing_specialist.billing_settings_menu']",
            run: "click",
        },
        {
            content: "The Billing block, and no other app",
            trigger: ".o_setting_container:not(:has(.settings_tab .tab:not([data-key=billing_specialist]))) .app_settings_block[data-key=billing_specialist]",
        },
        {
            content: "Each setting shows its help (declared on the company)",
            trigger: "#billing_aging_buckets .text-muted:contains(Upper day counts of the overdue buckets)",
        },
        {
            content: "The alias's address is labelled under its name (not the name twice)",
            trigger: "#billing_dispute_alias_name .o_billing_alias_address:contains(Address:)",
        },
        screenshot("settings-billing"),
        {
            content: "Payment Matching: the capability's switch, then its settings",
            trigger: "#billing_use_matching input:checked",
            run() {
                document.querySelector("#billing_use_matching").scrollIntoView();
            },
        },
        screenshot("settings-capabilities"),
        {
            content: "Collections: follow-ups and promises to pay",
            trigger: "#billing_use_collections input:checked",
            run() {
                document.querySelector("#billing_use_collections").scrollIntoView();
            },
        },
        screenshot("settings-promises"),
        {
            content: "The write-off journal: search the journals named with an i",
            trigger: "#billing_writeoff_journal_id .o_field_widget input",
            run: "edit i",
        },
        {
            content: "Miscellaneous journals only (no Customer Invoices, no Vendor Bills): choose Miscellaneous Operations",
            trigger: ".o-autocomplete--dropdown-menu:not(:has(a:contains(Customer Invoices))):not(:has(a:contains(Vendor Bills))) a:contains(Miscellaneous Operations)",
            run: "click",
        },
        {
            content: "The journal is chosen",
            trigger: "#billing_writeoff_journal_id .o_field_widget input:value(Miscellaneous Operations)",
        },
        {
            content: "New aging buckets",
            trigger: "#billing_aging_buckets input",
            run: "edit 15,45",
        },
        {
            content: "Switch Collections off",
            trigger: "#billing_use_collections input[type=checkbox]",
            run: "click",
        },
        {
            content: "The collections' settings go with it",
            trigger: ".app_settings_block[data-key=billing_specialist]:not(:has(#billing_promise_max_days))",
        },
        {
            content: "Save",
            trigger: ".o_control_panel .o_form_button_save",
            run: "click",
        },
        {
            content: "Saved and reloaded: the new buckets are there",
            trigger: ".o_control_panel:not(:has(.o_dirty_warning)) ~ * #billing_aging_buckets input:value(15,45)",
        },
        {
            content: "Collections is off: its menu is gone",
            trigger: ".o_main_navbar:has([data-menu-xmlid='billing_specialist.billing_config_menu']):not(:has([data-menu-xmlid='billing_specialist.billing_collections_menu']))",
        },
        {
            content: "Its settings too",
            trigger: "#billing_use_collections input:not(:checked)",
        },
    ],
});
