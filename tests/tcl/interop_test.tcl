# The Tcl package against the other front doors on the same pipe: a Tcl
# client talking to a C++ server (conduit::pipe_server), and a Tcl server
# answering a Win32 client (CreateFile, WriteFile, ReadFile).
source [file join [file dirname [info script]] support.tcl]
ctest::start_broker

test interop-1.1 {a Tcl client talks to a C++ server} -body {
    set name [ctest::pipe_name cpp]
    ctest::spawn server [ctest::program conduit_tcl_echo_server] $name
    ctest::wait_until {[string match ready* $::ctest::out(server)] || [info exists ::ctest::status(server)]}
    set chan [twapi::namedpipe_client $name]
    set sent 0
    set wrong {}
    foreach n {1 10 100 1000 5000 10000} {
        set line [string repeat "\u00e9x" [expr {$n / 2}]][string range "y" 0 [expr {$n % 2 - 1}]]
        puts $chan $line
        flush $chan
        gets $chan back
        if {$back ne $line} {lappend wrong $n}
        # What went out: the line in UTF-8 and the CR LF that ends it.
        incr sent [expr {[string length [encoding convertto utf-8 $line]] + 2}]
    }
    close $chan
    list $wrong [ctest::results server] [expr {[string trim $::ctest::out(server)] eq "ready\nok $sent"}]
} -result {{} {server 0 {ready
ok 24178}} 1}

proc echo_binary {chan} {
    puts -nonewline $chan [read $chan]
    if {[eof $chan]} {
        close $chan
        set ::served 1
        ctest::note
    }
}

test interop-1.2 {a Tcl server answers a Win32 client, bytes intact} -setup {
    set ::served 0
} -body {
    set name [ctest::pipe_name win32]
    set chan [namedpipe_server $name]
    fconfigure $chan -blocking 0 -translation binary -buffering none
    fileevent $chan readable [list echo_binary $chan]
    ctest::spawn client [ctest::program conduit_tcl_win32_client] $name
    set outcome [ctest::results client]
    ctest::wait_until {$::served}
    list $outcome $::served
} -result {{client 0 {ok 10240}} 1}

ctest::finish
