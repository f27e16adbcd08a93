# The helper library every built-in rule uses to build its findings (after Regal's `result`).
# Rules import it as `import data.tollgate.lib.result` (alias `result`). The former name,
# `data.tollgate.result`, still works: see result_compat.rego.
package tollgate.lib.result

import rego.v1

# fail(path, msg): a finding at `path` (keys and indices into `input`).
fail(path, msg) := {"path": path, "msg": msg}

# fail_with(path, msg, extra): a finding with more fields, e.g. {"severity": "warning"},
# {"text_line": 3} or {"related": [{"path": [...], "msg": "..."}]}.
fail_with(path, msg, extra) := object.union({"path": path, "msg": msg}, extra)

# fail_in(doc, path, msg): a finding of a project-scope rule, in the document `doc`
# (an element of `input.documents`).
fail_in(doc, path, msg) := {"path": path, "msg": msg, "file": doc.file, "document": doc.index}

# fail_in_with(doc, path, msg, extra): as fail_in, with more fields.
fail_in_with(doc, path, msg, extra) := object.union(fail_in(doc, path, msg), extra)
