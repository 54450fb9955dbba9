/** @odoo-module */

/**
 * A tour step that asks for a screenshot named `name` once `trigger` is on the page (tests/screenshots.py).
 * It does nothing unless the test captures (BILLING_SCREENSHOTS set): then it waits for the picture to be taken.
 */
export function screenshot(name, trigger = "body") {
    return {
        content: `Screenshot: ${name}`,
        trigger,
        async run() {
            if (!window.billingScreenshots) {
                return;
            }
            // Let animations, fonts and images settle, and move the pointer out of the way.
            document.activeElement?.blur?.();
            await new Promise((resolve) => setTimeout(resolve, 400));
            console.log(`billing-screenshot:${name}`);
            const start = Date.now();
            while (window.billingScreenshotTaken !== name && Date.now() - start < 8000) {
                await new Promise((resolve) => setTimeout(resolve, 50));
            }
        },
    };
}
