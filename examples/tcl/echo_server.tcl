# echo_server.tcl ?CLIENTS?: an event-driven echo server on \\.\pipe\tcl-echo.
# Each client gets an instance of its own; every line it sends comes back.
# With CLIENTS, the server ends after serving that many.
#
#   tclsh echo_server.tcl          (then, elsewhere: tclsh echo_client.tcl)
package require twapi_namedpipe

set name {\\.\pipe\tcl-echo}
set left [expr {[llength $argv] ? [lindex $argv 0] : -1}]

# One instance listening; fileevent writable fires when a client connects.
proc listen {} {
    set chan [namedpipe_server $::name]
    fileevent $chan writable [list accept $chan]
}

proc accept {chan} {
    fileevent $chan writable {}
    fconfigure $chan -blocking 0 -buffering line
    fileevent $chan readable [list echo $chan]
    listen  ;# the next client needs an instance of its own
}

proc echo {chan} {
    while {[gets $chan line] >= 0} {
        puts $chan $line
    }
    if {[eof $chan]} {
        close $chan
        if {[incr ::left -1] == 0} {set ::done 1}
    }
}

listen
puts "listening on $name"
flush stdout
vwait done
