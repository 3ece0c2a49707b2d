# The other processes of the Tcl tests:
#
#   child.tcl echo_client NAME ID ?LENGTHS?  sends lines of growing length
#                                   (up to 10,000 characters, or of LENGTHS)
#                                   and checks each echo
#   child.tcl sync_server NAME N    a blocking echo server: N instances,
#                                   served in turn until every client is gone
#   child.tcl level_client NAME LEVEL  connects allowing LEVEL, writes a
#                                   line, waits for the reply line
#   child.tcl open_client NAME ACCESS  connects with -access ACCESS; says
#                                   "ok" or the errorCode
#
# Each says "ok ..." on stdout when all went well, or why not, and exits
# with 0 or 1.
package require twapi_namedpipe

# A line of `n` characters, some of them beyond ASCII.
proc line_of {id n} {
    set base "$id:\u00e9\u4e2d-abcdefghijklmnopqrstuvwxyz0123456789"
    set text [string repeat $base [expr {$n / [string length $base] + 1}]]
    return [string range $text 0 [expr {$n - 1}]]
}

proc fail {message} {
    puts "fail: $message"
    exit 1
}

lassign $argv command name arg lengths
switch -- $command {
    echo_client {
        if {$lengths eq {}} {set lengths {1 3 9 27 81 243 729 2187 6561 10000}}
        if {[catch {namedpipe_client $name} chan]} {fail "connect: $chan"}
        foreach n $lengths {
            set line [line_of $arg $n]
            puts $chan $line
            flush $chan
            if {[gets $chan back] < 0} {fail "eof after the line of $n"}
            if {$back ne $line} {fail "the line of $n came back as [string length $back]"}
        }
        close $chan
        puts "ok [llength $lengths] lines"
    }
    sync_server {
        set chans {}
        for {set i 0} {$i < $arg} {incr i} {lappend chans [namedpipe_server $name]}
        puts ready
        flush stdout
        set lines 0
        while {[llength $chans]} {
            set still {}
            foreach chan $chans {
                if {[gets $chan line] < 0} {
                    if {![eof $chan]} {fail "gets failed without eof"}
                    close $chan
                    continue
                }
                puts $chan $line
                flush $chan
                incr lines
                lappend still $chan
            }
            set chans $still
        }
        puts "ok $lines lines"
    }
    level_client {
        if {[catch {namedpipe_client $name -impersonationlevel $arg} chan]} {
            fail "connect: $chan"
        }
        puts $chan hello
        flush $chan
        if {[gets $chan reply] < 0} {fail "no reply"}
        close $chan
        puts "ok $reply"
    }
    open_client {
        if {[catch {namedpipe_client $name -access $arg} chan]} {
            puts $::errorCode
            exit 0
        }
        close $chan
        puts ok
    }
    default {
        fail "unknown command $command"
    }
}
exit 0
