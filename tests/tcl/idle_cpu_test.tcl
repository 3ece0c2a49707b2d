# Waiting costs nothing: a server with 8 instances waiting for clients
# (fileevent readable and writable on each, -blocking 0) and a connected
# pipe waiting for data use no CPU while the event loop runs for 2 s. The
# channels follow Tcl's notifier, which sleeps on their sockets; a driver
# that polled would show here as CPU time.
source [file join [file dirname [info script]] support.tcl]
ctest::start_broker

# This process's CPU time so far (user and system, all threads), in ms.
proc cpu_ms {} {
    set f [open /proc/self/stat]
    set stat [read $f]
    close $f
    # Fields after the command (which may hold spaces): state is field 3,
    # utime 14, stime 15, in clock ticks.
    set fields [string range $stat [expr {[string last ")" $stat] + 2}] end]
    lassign [lrange $fields 11 12] utime stime
    return [expr {($utime + $stime) * 1000 / [exec getconf CLK_TCK]}]
}

proc on_event {chan what} {
    fileevent $chan $what {}
    lappend ::events [list $chan $what]
    ctest::note
}

test idle-1.1 {8 waiting instances and an idle connection use no CPU} -setup {
    set ::events {}
} -body {
    set name [ctest::pipe_name idle]
    set waiting {}
    for {set i 0} {$i < 8} {incr i} {
        set chan [namedpipe_server $name]
        fconfigure $chan -blocking 0
        fileevent $chan writable [list on_event $chan writable]
        fileevent $chan readable [list on_event $chan readable]
        lappend waiting $chan
    }
    set connected [ctest::pipe_name connected]
    set busy [namedpipe_server $connected]
    fconfigure $busy -blocking 0
    set client [namedpipe_client $connected]
    fileevent $busy readable [list on_event $busy readable]
    # The connected pair's arrival is settled before measuring.
    ctest::wait_until {[llength $::events] == 0} 0
    set before [cpu_ms]
    set start [clock milliseconds]
    after 2000 {set ::idle over}
    vwait ::idle
    set used [expr {[cpu_ms] - $before}]
    set slept [expr {[clock milliseconds] - $start}]
    # Still awake: a client now gets a server's writable event at once.
    set other [namedpipe_client $name]
    set woke [ctest::wait_until {[llength $::events] > 0}]
    foreach chan [list {*}$waiting $busy $client $other] {close $chan}
    list [expr {$used <= 100 ? "idle" : "used $used ms of CPU in $slept ms"}] \
        [expr {$slept >= 2000}] $woke [lindex $::events 0 1]
} -result {idle 1 1 writable}

ctest::finish
