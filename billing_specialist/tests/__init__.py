# One import per test file, grouped by the capabilities of docs/ARCHITECTURE.md.

# settings
from . import test_billing_settings
from . import test_settings_limits
from . import test_settings_tour

# runs: generic runs and chunks, scheduled actions
from . import test_cron_concurrency
from . import test_run_chunks_concurrency
from . import test_run_chunks_followup_billing
from . import test_run_chunks_walk
from . import test_run_seams
from . import test_runs_stuck
from . import test_runs_stuck_concurrency
from . import test_runs_tour

# disputes: cases, resolution, the mail gateway and who a sender is
from . import test_dispute_assignment
from . import test_dispute_booking
from . import test_dispute_case
from . import test_dispute_concurrency
from . import test_dispute_mail_gateway
from . import test_dispute_resolution
from . import test_dispute_security
from . import test_dispute_sla
from . import test_dispute_sync
from . import test_dispute_tour
from . import test_mail_sender_identity

# matching: the engine, text normalisation, learning, review screen and runs
from . import test_match_run_chunks
from . import test_match_run_chunks_concurrency
from . import test_matching
from . import test_matching_concurrency
from . import test_matching_conflicts
from . import test_matching_engine
from . import test_matching_learning
from . import test_matching_properties
from . import test_matching_reasons
from . import test_matching_fee_rules
from . import test_matching_fee_rules_tour
from . import test_matching_review
from . import test_matching_workbench
from . import test_reconcile_overhead
from . import test_text
from . import test_text_normalisation

# remittances
from . import test_remittance
from . import test_remittance_concurrency
from . import test_remittance_files
from . import test_remittance_origin
from . import test_remittance_understood

# collections: follow-up, promises, worklist, customer screen
from . import test_cockpit
from . import test_cockpit_tour
from . import test_followup
from . import test_followup_chunks_concurrency
from . import test_followup_preview
from . import test_followup_preview_concurrency
from . import test_followup_tour
from . import test_promise
from . import test_promise_concurrency
from . import test_promise_limits
from . import test_worklist
from . import test_worklist_tour

# invoicing: pre-send checks and billing runs
from . import test_autopost_concurrency
from . import test_billing_run
from . import test_billing_run_background
from . import test_billing_run_concurrency
from . import test_billing_run_server
from . import test_billing_run_tour
from . import test_invoice_checks
from . import test_invoice_checks_concurrency

# credit: its effects (the pre-send check, the worklist's rank, the held invoice's tour)
from . import test_credit_effects
from . import test_credit_hold_tour

# reports
from . import test_report_security
from . import test_reporting
from . import test_reporting_figures
from . import test_reporting_paid
from . import test_reporting_tour
from . import test_reporting_wizard
from . import test_outlook_engine
from . import test_outlook
from . import test_outlook_concurrency
from . import test_outlook_screens
from . import test_outlook_tour
from . import test_statement
from . import test_statement_pdf

# portal
from . import test_portal
from . import test_portal_payment
from . import test_credit_portal

# demo: no test file; tools/check_install.py --demo checks the demo install (tools/test.sh)

# architecture
from . import test_architecture
from . import test_protected_fields
from . import test_attack_issue23
from . import test_attack_issue24
from . import test_matching_workbench_concurrency
