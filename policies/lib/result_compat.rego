# Compatibility package: the result helpers under their former name, `data.tollgate.result`.
# It exists because team policies were documented to `import data.tollgate.result`; keep it so
# they go on working. New code (and every built-in rule) imports `data.tollgate.lib.result`.
# Every function forwards to data.tollgate.lib.result: add nothing here.
package tollgate.result

import rego.v1

import data.tollgate.lib.result as lib

fail(path, msg) := lib.fail(path, msg)

fail_with(path, msg, extra) := lib.fail_with(path, msg, extra)

fail_in(doc, path, msg) := lib.fail_in(doc, path, msg)

fail_in_with(doc, path, msg, extra) := lib.fail_in_with(doc, path, msg, extra)
