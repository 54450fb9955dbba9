from lxml import etree

from odoo.tools.safe_eval import safe_eval


def analysis_domain(env, action, ignore=()):
    """The domain the web client searches with when it opens ``action``: the action's domain and, for each
    ``search_default_<filter>`` of its context, that filter of the search view, evaluated with the context (as
    the search model does). Each of the report's filters sits in its own group, so they are all ANDed."""
    context = action["context"]
    arch = etree.fromstring(env[action["res_model"]].get_view(view_type="search")["arch"])
    domain = list(action.get("domain") or [])
    for key, value in context.items():
        name = key.removeprefix("search_default_")
        if not key.startswith("search_default_") or not value or name in ignore:
            continue
        node = arch.find(f".//filter[@name='{name}']")
        if node is not None and node.get("domain"):
            domain += safe_eval(node.get("domain"), {"context": context})
    return domain
