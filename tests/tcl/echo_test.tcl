# Echo servers, each serving three clients in other tclsh processes at once:
# a synchronous (blocking) one and an event-driven one (-blocking 0,
# fileevent), with lines of growing length up to 10,000 characters.
source [file join [file dirname [info script]] support.tcl]
ctest::start_broker

test echo-1.1 {a blocking echo server serves three clients at once} -body {
    set name [ctest::pipe_name sync]
    set server [ctest::tclsh server child.tcl sync_server $name 3]
    ctest::wait_until {[string match ready* $::ctest::out(server)] || [info exists ::ctest::status(server)]}
    foreach id {a b c} {ctest::tclsh $id child.tcl echo_client $name $id}
    ctest::results {a b c server}
} -result {a 0 {ok 10 lines} b 0 {ok 10 lines} c 0 {ok 10 lines} server 0 {ready
ok 30 lines}}

# The event-driven server: fileevent writable says a client has come, then
# each readable line is echoed; eof closes the instance.
proc on_connect {chan} {
    fileevent $chan writable {}
    fileevent $chan readable [list on_readable $chan]
    incr ::connected
    ctest::note
}

proc on_readable {chan} {
    while {[gets $chan line] >= 0} {
        puts $chan $line
        incr ::echoed
    }
    if {[eof $chan]} {
        close $chan
        incr ::closed
        ctest::note
    }
}

test echo-1.2 {an event-driven echo server serves three clients at once} -setup {
    set ::connected 0
    set ::echoed 0
    set ::closed 0
} -body {
    set name [ctest::pipe_name event]
    foreach i {1 2 3} {
        set chan [namedpipe_server $name]
        fconfigure $chan -blocking 0 -buffering line
        fileevent $chan writable [list on_connect $chan]
    }
    foreach id {a b c} {ctest::tclsh $id child.tcl echo_client $name $id}
    set outcome [ctest::results {a b c}]
    ctest::wait_until {$::closed == 3}
    list $outcome $::connected $::echoed $::closed
} -result {{a 0 {ok 10 lines} b 0 {ok 10 lines} c 0 {ok 10 lines}} 3 30 3}

test echo-1.4 {the event-driven server with lines larger than the pipe's buffer} -setup {
    set ::connected 0
    set ::echoed 0
    set ::closed 0
} -body {
    # A line of a million characters (2 MB and more in UTF-8) fills the
    # socket: the server's writes meet EAGAIN and Tcl finishes them in the
    # background, woken by the notifier when the pipe drains.
    set name [ctest::pipe_name big]
    set chan [namedpipe_server $name]
    fconfigure $chan -blocking 0 -buffering line
    fileevent $chan writable [list on_connect $chan]
    ctest::tclsh big child.tcl echo_client $name big {1000000 10 1000000}
    set outcome [ctest::results big]
    ctest::wait_until {$::closed == 1}
    list $outcome $::echoed $::closed
} -result {{big 0 {ok 3 lines}} 3 1}

test echo-1.3 {the examples: examples/tcl/echo_server.tcl and echo_client.tcl} -body {
    set examples [file join $::ctest::here .. .. examples tcl]
    set tclsh [info nameofexecutable]
    ctest::spawn server $tclsh [file join $examples echo_server.tcl] 2
    ctest::wait_until {[string match listening* $::ctest::out(server)] || [info exists ::ctest::status(server)]}
    ctest::spawn one $tclsh [file join $examples echo_client.tcl] first
    ctest::spawn two $tclsh [file join $examples echo_client.tcl] second client
    ctest::results {one two server}
} -result {one 0 first two 0 {second client} server 0 {listening on \\.\pipe\tcl-echo}}

ctest::finish
