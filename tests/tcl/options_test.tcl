# namedpipe_server and namedpipe_client options, errors as TWAPI raises
# them (errorCode TWAPI_WIN32 <code> <message>), channel behaviour (eof,
# blocking and non-blocking before a client comes, binary data, the
# generic channel options) and bad input.
source [file join [file dirname [info script]] support.tcl]
ctest::start_broker

# A connected server and client, in this process.
proc pair {name args} {
    set server [namedpipe_server $name {*}[dict get {-server {}} -server]]
    set client [namedpipe_client $name {*}$args]
    return [list $server $client]
}

test options-1.1 {every instance busy: errorCode TWAPI_WIN32 231} -body {
    set name [ctest::pipe_name busy]
    lassign [pair $name] server client
    set code [ctest::error_code {namedpipe_client $name}]
    close $client
    close $server
    set code
} -result {TWAPI_WIN32 231 {All pipe instances are busy.}}

test options-1.2 {no such pipe: TWAPI_WIN32 2} -body {
    ctest::error_code {namedpipe_client [ctest::pipe_name none]}
} -result {TWAPI_WIN32 2 {The system cannot find the file specified.}}

test options-1.3 {the bare names and the twapi namespace are the same commands} -body {
    list [info commands ::twapi::namedpipe_server] [info commands ::namedpipe_client] \
        [info commands ::twapi::impersonate_namedpipe_client] [info commands ::revert_to_self] \
        [package require conduit] [package require twapi_namedpipe]
} -result {::twapi::namedpipe_server ::namedpipe_client ::twapi::impersonate_namedpipe_client ::revert_to_self 0.1.0 4.3.5}

test options-2.1 {-access read on the server: the client may only write} -body {
    set name [ctest::pipe_name in]
    set server [namedpipe_server $name -access read]
    set duplex [ctest::error_code {namedpipe_client $name}]
    set readonly [ctest::error_code {namedpipe_client $name -access read}]
    set client [namedpipe_client $name -access write]
    puts $client "one way"
    flush $client
    set line [gets $server]
    set wrong_way [list [ctest::error_message {puts $server x}] [ctest::error_message {gets $client}]]
    close $client
    close $server
    list $duplex $readonly $line [string map [list $server S $client C] $wrong_way]
} -result {{TWAPI_WIN32 5 {Access is denied.}} {TWAPI_WIN32 5 {Access is denied.}} {one way} {{channel "S" wasn't opened for writing} {channel "C" wasn't opened for reading}}}

test options-2.2 {-access write on the server: the client may only read} -body {
    set name [ctest::pipe_name out]
    set server [namedpipe_server $name -access {write}]
    set client [namedpipe_client $name -access {read}]
    puts $server "the other way"
    flush $server
    set line [gets $client]
    close $client
    close $server
    set line
} -result {the other way}

test options-2.3 {instances with another -access fail} -body {
    set name [ctest::pipe_name mixed]
    set first [namedpipe_server $name -access {read write}]
    set code [ctest::error_code {namedpipe_server $name -access read}]
    close $first
    set code
} -result {TWAPI_WIN32 5 {Access is denied.}}

test options-3.1 {-maxinstances: the first instance sets it for all} -body {
    set name [ctest::pipe_name max]
    set a [namedpipe_server $name -maxinstances 2]
    set b [namedpipe_server $name -maxinstances 2]
    set third [ctest::error_code {namedpipe_server $name -maxinstances 2}]
    # A mismatch: the first call's limit holds whatever a later one says.
    set more [ctest::error_code {namedpipe_server $name -maxinstances 5}]
    close $b
    set fewer [ctest::error_code {set c [namedpipe_server $name -maxinstances 1]}]
    close $a
    catch {close $c}
    list $third $more $fewer
} -result {{TWAPI_WIN32 231 {All pipe instances are busy.}} {TWAPI_WIN32 231 {All pipe instances are busy.}} {}}

test options-3.2 {-maxinstances out of range} -body {
    list [ctest::error_code {namedpipe_server [ctest::pipe_name] -maxinstances 0}] \
        [ctest::error_code {namedpipe_server [ctest::pipe_name] -maxinstances 256}] \
        [ctest::error_code {namedpipe_server [ctest::pipe_name] -maxinstances -1}] \
        [ctest::error_message {namedpipe_server [ctest::pipe_name] -maxinstances many}]
} -result {{TWAPI_WIN32 87 {The parameter is incorrect.}} {TWAPI_WIN32 87 {The parameter is incorrect.}} {TWAPI_WIN32 87 {The parameter is incorrect.}} {expected integer but got "many"}}

test options-3.3 {-writeowner: the first instance only (FILE_FLAG_FIRST_PIPE_INSTANCE)} -body {
    set name [ctest::pipe_name first]
    set a [namedpipe_server $name -writeowner]
    set code [ctest::error_code {namedpipe_server $name -writeowner}]
    close $a
    set code
} -result {TWAPI_WIN32 5 {Access is denied.}}

test options-3.4 {-secd: a descriptor that lets no one in} -body {
    set name [ctest::pipe_name secd]
    set a [namedpipe_server $name -secd D:]
    set code [ctest::error_code {namedpipe_client $name}]
    close $a
    list $code [ctest::error_code {namedpipe_server [ctest::pipe_name] -secd {not sddl}}]
} -result {{TWAPI_WIN32 5 {Access is denied.}} {TWAPI_WIN32 1338 {The security descriptor structure is invalid.}}}

test options-3.5 {the other server options are accepted} -body {
    set name [ctest::pipe_name rest]
    set a [namedpipe_server $name -denyremote -writethrough -writedacl -writesacl -inherit 1 \
               -timeout 100 -secd {D:(A;;GA;;;WD)}]
    set b [namedpipe_client $name -impersonationlevel delegation \
               -impersonateeffectiveonly 1 -impersonatecontexttracking true]
    puts $b ok
    flush $b
    set line [gets $a]
    close $b
    close $a
    set line
} -result ok

# Sockets of this process that a child started with exec would inherit
# (no close-on-exec: O_CLOEXEC is 02000000 in /proc's flags).
proc inheritable_sockets {} {
    set count 0
    foreach path [glob -nocomplain /proc/self/fd/*] {
        if {[catch {file readlink $path} target] || ![string match socket:* $target]} continue
        set f [open /proc/self/fdinfo/[file tail $path]]
        set info [read $f]
        close $f
        if {[regexp {flags:\s+([0-7]+)} $info -> flags] && !(("0$flags") & 02000000)} {incr count}
    }
    return $count
}

test options-3.6 {-inherit 1 leaves the pipe open across exec, -inherit 0 does not} -body {
    set before [inheritable_sockets]
    set kept [namedpipe_server [ctest::pipe_name inherit] -inherit 1]
    set with [inheritable_sockets]
    set closed [namedpipe_server [ctest::pipe_name inherit] -inherit 0]
    set without [inheritable_sockets]
    close $kept
    close $closed
    list [expr {$with - $before}] [expr {$without - $with}]
} -result {1 0}

test options-4.1 {binary data: all 256 byte values both ways} -body {
    set name [ctest::pipe_name bin]
    lassign [pair $name] server client
    fconfigure $server -translation binary
    fconfigure $client -translation binary
    set bytes {}
    for {set i 0} {$i < 256} {incr i} {append bytes [binary format c $i]}
    set bytes [string repeat $bytes 10]
    puts -nonewline $client $bytes
    flush $client
    set got [read $server 2560]
    puts -nonewline $server $got
    flush $server
    set back [read $client 2560]
    close $client
    close $server
    list [expr {$got eq $bytes}] [expr {$back eq $bytes}] [string length $back]
} -result {1 1 2560}

test options-4.2 {the defaults: system encoding, line-end translation} -body {
    set name [ctest::pipe_name defaults]
    lassign [pair $name] server client
    set result [list [fconfigure $server -translation] [fconfigure $client -translation] \
                    [expr {[fconfigure $client -encoding] eq [encoding system]}] \
                    [fconfigure $server -blocking] [fconfigure $server -buffering] \
                    [fconfigure $server -eofchar]]
    # What goes out: CR LF, as Tcl's socket command writes.
    puts $client line
    flush $client
    fconfigure $server -translation binary
    lappend result [read $server 6]
    close $client
    close $server
    set result
} -result [list {auto crlf} {auto crlf} 1 1 full {{} {}} "line\r\n"]

test options-4.3 {-eofchar, -encoding, -buffersize and chan pending} -body {
    set name [ctest::pipe_name generic]
    lassign [pair $name] server client
    fconfigure $client -translation lf -encoding iso8859-1 -buffersize 64
    fconfigure $server -translation lf -encoding iso8859-1 -buffersize 64 -eofchar \x1a
    puts -nonewline $client "first\nsecond\n\u00e9\x1aignored"
    flush $client
    set first [gets $server]
    set pending [chan pending input $server]
    set rest [read $server]
    set result [list $first $pending $rest [eof $server] [fconfigure $server -buffersize]]
    close $client
    close $server
    set result
} -result [list first 16 "second\n\u00e9" 1 64]

test options-5.1 {a client that closes gives the server eof after its data} -body {
    set name [ctest::pipe_name eof1]
    lassign [pair $name] server client
    puts $client "last words"
    close $client
    set result [list [gets $server] [gets $server] [eof $server]]
    close $server
    set result
} -result {{last words} {} 1}

test options-5.2 {a server that closes gives the client eof after all it wrote} -body {
    set name [ctest::pipe_name eof2]
    lassign [pair $name] server client
    fconfigure $server -translation binary
    fconfigure $client -translation binary
    set data [string repeat "0123456789abcdef" 8192]
    fconfigure $server -blocking 0
    puts -nonewline $server $data
    # Closing a non-blocking channel lets Tcl flush in the background.
    close $server
    set got [read $client]
    set result [list [string length $got] [expr {$got eq $data}] [eof $client]]
    close $client
    set result
} -result {131072 1 1}

test options-5.3 {non-blocking before a client comes: EAGAIN, then the connect} -body {
    set name [ctest::pipe_name early]
    set server [namedpipe_server $name]
    fconfigure $server -blocking 0 -buffering none
    set before [list [gets $server] [fblocked $server] [read $server] [eof $server]]
    # Output waits in Tcl's buffer until the client comes.
    puts $server early
    set client [namedpipe_client $name]
    fconfigure $client -blocking 0
    set ::line {}
    fileevent $client readable {
        if {[gets $client ::line] >= 0} ctest::note
    }
    ctest::wait_until {$::line ne {}}
    close $client
    close $server
    list $before $::line
} -result {{{} 1 {} 0} early}

test options-5.4 {blocking before a client comes: reading waits for one} -body {
    set name [ctest::pipe_name wait]
    set server [namedpipe_server $name]
    ctest::tclsh client child.tcl level_client $name impersonation
    set line [gets $server]
    puts $server reply
    flush $server
    set outcome [ctest::results client]
    close $server
    list $line $outcome
} -result {hello {client 0 {ok reply}}}

test options-5.5 {no half-close: Windows pipes have none} -body {
    set name [ctest::pipe_name half]
    lassign [pair $name] server client
    set message [ctest::error_message {close $client write}]
    close $client
    close $server
    set message
} -result {half-close of channels not supported by namedpipes}

test options-5.6 {a client that came and went before the server looked: eof} -body {
    set name [ctest::pipe_name gone]
    set blocking [namedpipe_server $name]
    set evented [namedpipe_server $name]
    close [namedpipe_client $name]
    close [namedpipe_client $name]
    set first [list [gets $blocking] [eof $blocking]]
    fconfigure $evented -blocking 0
    set ::seen {}
    fileevent $evented readable {
        lappend ::seen [gets $evented] [eof $evented]
        fileevent $evented readable {}
        ctest::note
    }
    ctest::wait_until {$::seen ne {}}
    close $blocking
    close $evented
    list $first $::seen
} -result {{{} 1} {{} 1}}

test options-6.1 {bad options and values} -body {
    list [ctest::error_message {namedpipe_server [ctest::pipe_name] -bogus}] \
        [ctest::error_message {namedpipe_client [ctest::pipe_name] -bogus 1}] \
        [ctest::error_message {namedpipe_server [ctest::pipe_name] -access}] \
        [ctest::error_message {namedpipe_client [ctest::pipe_name] -impersonateeffectiveonly maybe}] \
        [ctest::error_message {namedpipe_server [ctest::pipe_name] -timeout soon}]
} -result {{bad option "-bogus": must be -access, -denyremote, -inherit, -maxinstances, -secd, -timeout, -writedacl, -writeowner, -writesacl, or -writethrough} {bad option "-bogus": must be -access, -impersonatecontexttracking, -impersonateeffectiveonly, or -impersonationlevel} {option "-access" needs a value} {expected boolean value but got "maybe"} {expected integer but got "soon"}}

test options-6.2 {bad access lists} -body {
    list [ctest::error_message {namedpipe_server [ctest::pipe_name] -access {read execute}}] \
        [ctest::error_message {namedpipe_client [ctest::pipe_name] -access {}}] \
        [ctest::error_message {namedpipe_server [ctest::pipe_name] -access 4}] \
        [ctest::error_message {namedpipe_client [ctest::pipe_name] -access "\{read"}]
} -result {{bad access "execute": must be read or write} {bad access list "": must name read, write or both} {bad access mask "4": must be 1 (read), 2 (write) or 3 (both)} {unmatched open brace in list}}

test options-6.3 {bad pipe names} -body {
    list [ctest::error_code {namedpipe_server notapipe}] \
        [ctest::error_code {namedpipe_server "\\\\.\\pipe\\[string repeat x 300]"}] \
        [ctest::error_code {namedpipe_client "\\\\.\\pipe\\"}] \
        [ctest::error_code {namedpipe_server {\\.\mailslot\x}}]
} -result {{TWAPI_WIN32 123 {The filename, directory name, or volume label syntax is incorrect.}} {TWAPI_WIN32 206 {The filename or extension is too long.}} {TWAPI_WIN32 123 {The filename, directory name, or volume label syntax is incorrect.}} {TWAPI_WIN32 3 {The system cannot find the path specified.}}}

test options-6.4 {a bad impersonation level} -body {
    list [ctest::error_message {namedpipe_client [ctest::pipe_name] -impersonationlevel total}] \
        [ctest::error_code {namedpipe_client [ctest::pipe_name] -impersonationlevel total}]
} -result {{Invalid impersonation level 'total'.} {TWAPI_WIN32 1346 {Either a required impersonation level was not provided, or the provided impersonation level is invalid.}}}

test options-6.5 {impersonation on what is not a server's pipe} -body {
    set name [ctest::pipe_name notserver]
    lassign [pair $name] server client
    set result [list [ctest::error_code {impersonate_namedpipe_client stdout}] \
                    [ctest::error_code {impersonate_namedpipe_client $client}]]
    close $client
    close $server
    lappend result [ctest::error_message {impersonate_namedpipe_client $server}]
    lappend result [ctest::error_message {impersonate_namedpipe_client}]
    lappend result [ctest::error_message {revert_to_self now}]
    string map [list $server S] $result
} -result {{TWAPI_WIN32 6 {The handle is invalid.}} {TWAPI_WIN32 6 {The handle is invalid.}} {can not find channel named "S"} {wrong # args: should be "impersonate_namedpipe_client CHANNEL"} {wrong # args: should be "revert_to_self"}}

test options-6.6 {wrong number of arguments} -body {
    list [ctest::error_message {namedpipe_server}] [ctest::error_message {namedpipe_client}]
} -result {{wrong # args: should be "namedpipe_server PIPENAME ?options?"} {wrong # args: should be "namedpipe_client PIPENAME ?-access ACCESS? ?-impersonationlevel LEVEL?"}}

ctest::finish
