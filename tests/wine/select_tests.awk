# Rewrites a Wine test file so that each test call in its START_TEST body
# runs only when selected (winetest_selected, in winetest.c): a top-level
# statement `    test_x(args);` becomes
# `    if (winetest_selected("test_x(args)")) test_x(args);`, and
# `    if (test_x())` becomes `    if (winetest_selected("test_x()") && test_x())`.
# The rest of the file is left as it is. scripts/wine-conformance.sh applies
# it to its downloaded copy; the runner lists the calls with
# WINETEST_SELECT=list.
function quoted(text) {
  gsub(/\\/, "\\\\", text)
  gsub(/"/, "\\\"", text)
  return "\"" text "\""
}
/^START_TEST\(/ { in_body = 1; print; next }
in_body && /^}/ { in_body = 0; print; next }
in_body && /^    [a-z][A-Za-z0-9_]*\(.*\);$/ {
  call = substr($0, 5, length($0) - 5)
  print "    if (winetest_selected(" quoted(call) ")) " call ";"
  next
}
in_body && /^    if \([a-z][A-Za-z0-9_]*\(.*\)\)$/ {
  call = substr($0, 9, length($0) - 9)
  print "    if (winetest_selected(" quoted(call) ") && " call ")"
  next
}
{ print }
