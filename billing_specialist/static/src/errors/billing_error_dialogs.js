/** @odoo-module */

import { registry } from "@web/core/registry";
import { WarningDialog } from "@web/core/errors/error_dialogs";

// A post refused by blocking pre-send checks is a user error (a subclass of UserError): shown as one, with the
// findings, not as a crash ("Oops!" and a traceback), which the web client shows for an exception it does not know.
registry
    .category("error_dialogs")
    .add("odoo.addons.billing_specialist.exceptions.BillingCheckBlocked", WarningDialog);
