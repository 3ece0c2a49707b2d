# impersonate_namedpipe_client and revert_to_self: the rule that nothing
# can be impersonated before data was read, a real second Unix user as the
# client (the thread's files are then the client's), and a Tcl client's
# -impersonationlevel. The broker runs in system mode so that other users
# reach it.
source [file join [file dirname [info script]] support.tcl]
ctest::start_broker --system

testConstraint root [expr {[exec id -u] == 0 && [file executable /usr/sbin/useradd]}]

# Who owns a file the calling thread creates now.
proc owner_of_new_file {path} {
    close [open $path w]
    set owner [file attributes $path -owner]
    file delete $path
    return $owner
}

# A Unix user for one test; useradd and userdel wait (bounded) while
# another process holds the password files' lock (status 10).
proc users {action name} {
    set command [expr {$action eq "add"
        ? [list /usr/sbin/useradd --no-create-home --shell /usr/sbin/nologin --user-group $name]
        : [list /usr/sbin/userdel $name]}]
    for {set attempt 0} {$attempt < 50} {incr attempt} {
        if {![catch {exec {*}$command} message options]} return
        set code [dict get $options -errorcode]
        if {[lindex $code 0] ne "CHILDSTATUS" || [lindex $code 2] ni {1 10}} break
        after 50
    }
    error "$action user $name: $message"
}

test impersonation-1.1 {nothing to impersonate until data was read (1368)} -body {
    set name [ctest::pipe_name rule]
    set server [namedpipe_server $name]
    set client [namedpipe_client $name]
    puts $client hello
    flush $client
    set before [ctest::error_code {impersonate_namedpipe_client $server}]
    set line [gets $server]
    set after [ctest::error_code {impersonate_namedpipe_client $server}]
    set reverted [ctest::error_code revert_to_self]
    close $client
    close $server
    list $before $line $after $reverted
} -result {{TWAPI_WIN32 1368 {Unable to impersonate using a named pipe until data has been read from that pipe.}} hello {} {}}

# A folder every user may create files in.
proc drop_folder {} {
    set drop [file join $::ctest::dir drop]
    file mkdir $drop
    file attributes $drop -permissions 01777
    return $drop
}

test impersonation-1.2 {a server acts as a client of another Unix user, then as itself} -constraints root -setup {
    set user cdtcl[pid]
    users add $user
    set drop [drop_folder]
} -body {
    set name [ctest::pipe_name user]
    # Everyone may connect: the default descriptor gives others only read.
    set server [namedpipe_server $name -secd {D:(A;;GA;;;WD)}]
    fconfigure $server -translation binary
    ctest::spawn client [ctest::program conduit_impersonation_client] $name \
        [exec id -u $user] [exec id -g $user] - impersonation
    set said [read $server 5]
    impersonate_namedpipe_client $server
    # Again: the thread stays the client.
    impersonate_namedpipe_client $server
    set as_client [owner_of_new_file [file join $drop by-client]]
    revert_to_self
    set as_server [owner_of_new_file [file join $drop by-server]]
    puts -nonewline $server x
    flush $server
    set outcome [ctest::results client]
    close $server
    list $said [expr {$as_client eq $user}] $as_server $outcome
} -cleanup {
    revert_to_self
    users del $user
} -result {hello 1 root {client 0 {}}}

test impersonation-1.3 {a Tcl client allowing identification only} -constraints root -body {
    set name [ctest::pipe_name level]
    set server [namedpipe_server $name]
    ctest::tclsh client child.tcl level_client $name identification
    set line [gets $server]
    set drop [drop_folder]
    impersonate_namedpipe_client $server
    # The thread may know the client, not act as it: it is nobody meanwhile.
    set as_client [owner_of_new_file [file join $drop by-identification]]
    revert_to_self
    puts $server done
    flush $server
    set outcome [ctest::results client]
    close $server
    list $line $as_client $outcome
} -cleanup {
    revert_to_self
} -result {hello nobody {client 0 {ok done}}}

# A transform that passes everything through (chan push).
proc pass_through {command handle args} {
    switch -- $command {
        initialize {return {initialize finalize read write}}
        finalize {return}
        default {return [lindex $args 0]}
    }
}

test impersonation-1.4 {the pipe is found under a stacked transform} -body {
    set name [ctest::pipe_name stacked]
    set server [namedpipe_server $name]
    set client [namedpipe_client $name]
    chan push $server pass_through
    # The client closes: a transform reads ahead, in blocking mode until
    # its buffer is full or the pipe ends.
    puts $client hello
    close $client
    set before [ctest::error_code {impersonate_namedpipe_client $server}]
    set line [gets $server]
    set after [ctest::error_code {impersonate_namedpipe_client $server}]
    revert_to_self
    close $server
    list [lrange $before 0 1] $line $after
} -result {{TWAPI_WIN32 1368} hello {}}

# What the other user's tclsh loads, copied where any user may read it: the
# source and build folders may be closed to others (a clone in a 0700 folder).
proc readable_copy {} {
    set shared [file join /tmp conduit-tcl-[pid]-shared]
    file delete -force $shared
    file mkdir $shared
    file attributes $shared -permissions 0755
    file copy [file join $::ctest::here child.tcl] $shared
    file copy [file join [lindex $::env(TCLLIBPATH) 0] conduit] [file join $shared tcl]
    file mkdir [file join $shared lib]
    foreach lib [glob -directory [file join [file dirname $::env(CONDUIT_TEST_BIN)] lib] libconduit.so*] {
        file copy $lib [file join $shared lib]
    }
    exec chmod -R a+rX $shared
    return $shared
}

test impersonation-1.5 {the default descriptor: other users may read, not write} -constraints root -setup {
    set user cdtcl[pid]d
    users add $user
    set shared [readable_copy]
} -body {
    set name [ctest::pipe_name default]
    set read_end [namedpipe_server $name]
    set other [namedpipe_server $name]
    set as_user [list env TCLLIBPATH=$shared LD_LIBRARY_PATH=[file join $shared lib] \
                     /usr/bin/setpriv --reuid [exec id -u $user] --regid [exec id -g $user] \
                     --clear-groups [info nameofexecutable] [file join $shared child.tcl]]
    ctest::spawn both {*}$as_user open_client $name {read write}
    ctest::spawn read {*}$as_user open_client $name read
    set outcome [ctest::results {both read}]
    close $read_end
    close $other
    set outcome
} -cleanup {
    users del $user
    file delete -force $shared
} -result {both 0 {TWAPI_WIN32 5 {Access is denied.}} read 0 ok}

ctest::finish
