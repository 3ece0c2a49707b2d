# What every Tcl test file shares: tcltest, the package from the build tree
# (TCLLIBPATH), a broker of the file's own (conduitd in a fresh
# CONDUIT_RUNTIME_DIR, started as a child and killed at the end), programs
# run as other processes, and waits that are always bounded.
#
# The environment (set by CTest, tests/CMakeLists.txt): CONDUIT_BROKER, the
# conduitd to run; CONDUIT_TEST_BIN, the folder of the test programs.
package require tcltest 2.5
namespace import ::tcltest::*
package require twapi_namedpipe

namespace eval ctest {
    variable here [file dirname [file normalize [info script]]]
    variable bound 20000  ;# ms: the longest any wait here may last
    variable broker {}    ;# the broker's pipeline
    variable dir {}       ;# its runtime folder
    variable tick 0       ;# written by every event a wait may wait for
    variable serial 0
}

# Something a wait may be waiting for has happened.
proc ctest::note {} {
    incr ::ctest::tick
}

# Waits until the expression `condition` (evaluated at global level) holds;
# 1 when it does, 0 when `ms` pass first. Events that change what it tests
# call ctest::note.
proc ctest::wait_until {condition {ms {}}} {
    if {$ms eq {}} {set ms $::ctest::bound}
    set deadline [expr {[clock milliseconds] + $ms}]
    while {![uplevel #0 [list expr $condition]]} {
        set left [expr {$deadline - [clock milliseconds]}]
        if {$left <= 0} {return 0}
        set timer [after $left ctest::note]
        vwait ::ctest::tick
        after cancel $timer
    }
    return 1
}

# A pipe name no other test uses.
proc ctest::pipe_name {{what p}} {
    return "\\\\.\\pipe\\tcltest-[pid]-$what-[incr ::ctest::serial]"
}

# Starts conduitd (with `args`, e.g. --system) in a fresh folder that
# CONDUIT_RUNTIME_DIR names from now on, and waits (bounded) for its 'R'.
proc ctest::start_broker {args} {
    variable dir [file join /tmp conduit-tcl-[pid]-[clock microseconds]]
    file mkdir $dir
    file attributes $dir -permissions [expr {"--system" in $args ? 0755 : 0700}]
    set ::env(CONDUIT_RUNTIME_DIR) $dir
    # --idle-exit: should this file die before ctest::finish, the broker
    # follows it soon after.
    variable broker [open |[list $::env(CONDUIT_BROKER) {*}$args --runtime-dir $dir \
                                 --idle-exit 5 --ready-fd 1 2>@stderr] r]
    fconfigure $broker -blocking 0 -translation binary
    variable said {}
    fileevent $broker readable {
        append ::ctest::said [read $::ctest::broker]
        if {[eof $::ctest::broker]} {fileevent $::ctest::broker readable {}}
        ctest::note
    }
    if {![wait_until {$::ctest::said ne {}}] || $::ctest::said ne "R"} {
        error "conduitd did not start in $dir"
    }
    fileevent $broker readable {}
}

proc ctest::stop_broker {} {
    variable broker
    if {$broker eq {}} return
    catch {exec kill -KILL {*}[pid $broker]}
    # Blocking, so that close waits until it is gone.
    fconfigure $broker -blocking 1
    catch {close $broker}
    set broker {}
    file delete -force $::ctest::dir
}

# Runs `args` (a program and its arguments) as another process; its output
# (stdout and stderr) collects in ::ctest::out($key), and ::ctest::status($key)
# is its exit status once it has ended.
proc ctest::spawn {key args} {
    set ::ctest::out($key) {}
    unset -nocomplain ::ctest::status($key)
    set chan [open |[list {*}$args 2>@1] r]
    fconfigure $chan -blocking 0
    fileevent $chan readable [list ctest::collect $key $chan]
    return $chan
}

# A tclsh running `script` (in this folder) with `args`.
proc ctest::tclsh {key script args} {
    spawn $key [info nameofexecutable] [file join $::ctest::here $script] {*}$args
}

# A test program from the build tree.
proc ctest::program {name} {
    return [file join $::env(CONDUIT_TEST_BIN) $name]
}

proc ctest::collect {key chan} {
    append ::ctest::out($key) [read $chan]
    if {[eof $chan]} {
        fconfigure $chan -blocking 1
        set status 0
        if {[catch {close $chan} message options]} {
            set code [dict get $options -errorcode]
            set status [expr {[lindex $code 0] eq "CHILDSTATUS" ? [lindex $code 2] : $code}]
        }
        set ::ctest::status($key) $status
    }
    ctest::note
}

# Waits (bounded) until every process in `keys` has ended; returns
# {key status output ...} for the test to compare.
proc ctest::results {keys {ms {}}} {
    set all [join [lmap k $keys {format {[info exists ::ctest::status(%s)]} $k}] " && "]
    wait_until $all $ms
    set result {}
    foreach k $keys {
        set status [expr {[info exists ::ctest::status($k)] ? $::ctest::status($k) : "running"}]
        lappend result $k $status [string trim $::ctest::out($k)]
    }
    return $result
}

# The errorCode of `script`, run at the caller's level; {} if it succeeded.
proc ctest::error_code {script} {
    if {[catch {uplevel 1 $script} message options]} {
        return [dict get $options -errorcode]
    }
    return {}
}

# The error message of `script`, or "no error".
proc ctest::error_message {script} {
    if {[catch {uplevel 1 $script} message]} {return $message}
    return "no error"
}

# Ends the file: the broker goes, and the exit status says whether every
# test passed (CTest reads it).
proc ctest::finish {} {
    # Pipes a failed test left open go before their broker does, or the
    # library would start a new broker to register them again.
    foreach chan [chan names np*] {catch {close $chan}}
    stop_broker
    set failed $::tcltest::numTests(Failed)
    cleanupTests
    exit [expr {$failed > 0}]
}
