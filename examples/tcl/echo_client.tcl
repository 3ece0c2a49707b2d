# echo_client.tcl ?TEXT?: sends TEXT (or a greeting) to \\.\pipe\tcl-echo
# and prints what comes back. A busy pipe is retried a few times, as the
# TWAPI manual suggests.
package require twapi_namedpipe

set name {\\.\pipe\tcl-echo}
for {set attempt 0} {1} {incr attempt} {
    if {![catch {namedpipe_client $name} chan]} break
    # errorCode is TWAPI_WIN32 <code> <message>: 231 is "all instances busy".
    if {[lindex $::errorCode 1] != 231 || $attempt == 10} {
        puts stderr "cannot connect: $chan ($::errorCode)"
        exit 1
    }
    after 100
}
puts $chan [expr {[llength $argv] ? [join $argv] : "hello from [pid]"}]
flush $chan
puts [gets $chan]
close $chan
