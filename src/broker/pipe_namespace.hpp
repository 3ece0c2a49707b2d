// The broker's table of named pipes and their instances.
//
// Pure bookkeeping with no event loop: the broker feeds it decoded requests
// and descriptors and sends back what it returns, which keeps every rule
// (max instances, matching parameters, which instance a client gets) in one
// place that tests can drive directly.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "broker/object_security.hpp"
#include "broker/peer.hpp"
#include "core/unique_fd.hpp"
#include "core/wire.hpp"

namespace conduit::broker {

struct pipe_instance {
  std::uint64_t id = 0;
  peer_id owner = 0;
  pid_t owner_pid = 0;
  uid_t owner_uid = 0;         // the server process's user
  detail::unique_fd endpoint;  // the client's end, held while listening
  detail::unique_fd page;      // the instance page, read-only for clients
  std::uint32_t serial = 0;
  std::uint64_t listen_order = 0;  // when it started listening; 0 = not listening
  std::uint32_t rights = 0;        // the server end's own rights on the pipe
};

struct named_pipe {
  std::string name;  // as the first instance spelt it
  std::string key;   // case-folded
  std::uint32_t open_mode = 0;
  std::uint32_t pipe_mode = 0;
  std::uint32_t max_instances = 0;
  std::uint32_t out_buffer = 0;
  std::uint32_t in_buffer = 0;
  std::uint32_t default_timeout_ms = 0;
  uid_t owner_uid = 0;  // the first instance's creator
  gid_t owner_gid = 0;
  security::security_descriptor descriptor;  // checked at every create and open
  std::map<std::uint64_t, pipe_instance> instances;
  std::map<std::uint64_t, std::uint64_t> listening;  // listen_order -> instance id
};

/// What a successful open hands the client.
struct open_result {
  wire::reply reply;
  detail::unique_fd endpoint;
  int page = -1;  // still owned by the instance
};

class pipe_namespace {
 public:
  /// Registers an instance. `page` is the instance page; `endpoint`, when
  /// valid, makes the instance listen at once.
  wire::reply create_instance(const peer& owner, const wire::create_instance_request& request,
                              detail::unique_fd page, detail::unique_fd endpoint);
  /// The instance listens again with a fresh endpoint.
  wire::reply listen(const peer& owner, const wire::listen_request& request,
                     detail::unique_fd endpoint);
  wire::reply close_instance(const peer& owner, const wire::close_instance_request& request);
  /// Gives a client the longest-listening instance, writing the connect record
  /// into its endpoint first.
  open_result open(const peer& client, const wire::open_request& request);
  /// The same for a client on another machine, asked by the SMB bridge
  /// (`bridge` must be root): the identity is the request's, a NETWORK
  /// logon; a pipe that rejects remote clients is ERROR_ACCESS_DENIED.
  open_result open_remote(const peer& bridge, const wire::open_remote_request& request);
  /// Answers a wait at once when it can; `must_wait` says it has to queue.
  wire::reply wait(const wire::wait_request& request, bool& must_wait,
                   std::uint32_t& effective_timeout_ms, std::string& key);
  /// Counts and parameters; only to a caller who could open the pipe.
  wire::reply query(const peer& caller, const wire::query_request& request) const;
  /// Every name, and nothing else: what anyone may see.
  wire::reply list() const;
  /// The pipes after `request.start` (or the one it names, with
  /// list_exact), as many as fit in one reply: names and counts for anyone,
  /// parameters, owner and server processes only where `caller` could query.
  wire::reply list_pipes(const peer& caller, const wire::list_pipes_request& request) const;
  /// GetSecurityInfo: the parts asked, as SDDL, in names[0].
  wire::reply get_security(const peer& caller, const wire::get_security_request& request) const;
  /// SetSecurityInfo: replaces the parts named.
  wire::reply set_security(const peer& caller, const wire::set_security_request& request);

  /// Drops every instance a peer owns (its process is gone).
  void drop_peer(peer_id id);

  /// True when the pipe with this key has an instance listening.
  [[nodiscard]] bool has_listener(const std::string& key) const;
  /// The key of the pipe an instance belongs to, or empty.
  [[nodiscard]] std::string key_of_instance(std::uint64_t instance_id) const;
  [[nodiscard]] std::size_t pipe_count() const { return pipes_.size(); }
  /// The descriptor of the pipe with this key, or null.
  [[nodiscard]] const security::security_descriptor* descriptor_of(const std::string& key) const;
  /// How many instances a peer owns: what max_instances_per_peer limits.
  [[nodiscard]] std::size_t instances_of(peer_id id) const;
  /// How many instances there are, of all pipes.
  [[nodiscard]] std::size_t instance_count() const { return instance_pipe_.size(); }
  /// How many listening endpoints the broker holds for a peer's instances
  /// (one per listening instance), and for everyone's.
  [[nodiscard]] std::size_t endpoints_of(peer_id id) const;
  [[nodiscard]] std::size_t endpoint_count() const { return endpoint_count_; }

 private:
  /// An open for `client`, local or remote (credentials::remote).
  open_result open_as(const credentials& client, const wire::open_request& request);
  named_pipe* find_by_instance(std::uint64_t instance_id, pipe_instance*& instance);
  /// The pipe a security request names, if the caller holds `needed` on it:
  /// through the instance it names (its own), else through the server ends
  /// it owns of that pipe, else through the DACL.
  const named_pipe* security_target(const peer& caller, const std::string& pipe_name,
                                    std::uint64_t instance_id, std::uint32_t needed,
                                    errc& error) const;
  void remove_instance(named_pipe& pipe, std::uint64_t instance_id);
  void start_listening(named_pipe& pipe, pipe_instance& instance, detail::unique_fd endpoint);
  /// An endpoint of `owner`'s came (+1) or went (-1).
  void count_endpoint(peer_id owner, int change);

  std::map<std::string, named_pipe> pipes_;             // by key
  std::map<std::uint64_t, std::string> instance_pipe_;  // instance id -> pipe key
  // Kept here, where every instance comes and goes, so that no way an
  // instance ends (close, its owner gone, a dead server end found at open)
  // can leave the count behind.
  std::map<peer_id, std::size_t> owned_;  // peer -> instances it owns
  // The same for listening endpoints, which cost the broker a descriptor
  // more than an instance's page while it listens.
  std::map<peer_id, std::size_t> endpoints_owned_;
  std::size_t endpoint_count_ = 0;
  std::uint64_t next_instance_id_ = 1;
  std::uint64_t next_listen_order_ = 1;
};

}  // namespace conduit::broker
