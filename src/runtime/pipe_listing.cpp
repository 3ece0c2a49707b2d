// list_pipes and describe_pipe: the broker's list_pipes request, page by page.
#include "conduit/pipe_listing.hpp"

#include "conduit/error.hpp"
#include "core/pipe_flags.hpp"
#include "core/throw_error.hpp"
#include "runtime/broker_link.hpp"
#include "security/sid.hpp"

namespace conduit {
namespace {

listed_pipe from_wire(const detail::wire::listed_pipe& in) {
  listed_pipe out;
  out.name = in.name;
  out.current_instances = in.cur_instances;
  out.max_instances = in.max_instances;
  out.listening_instances = in.listening;
  out.details_visible = (in.flags & detail::wire::listed_pipe::details_visible) != 0;
  if (!out.details_visible) return out;
  out.direction = static_cast<pipe_direction>(in.open_mode & detail::access_duplex);
  out.type = (in.pipe_mode & detail::type_message) ? pipe_type::message : pipe_type::byte;
  out.mode = (in.pipe_mode & detail::readmode_message) ? read_mode::message : read_mode::byte;
  out.out_buffer_size = in.out_buffer;
  out.in_buffer_size = in.in_buffer;
  out.default_timeout_ms = in.default_timeout_ms;
  out.owner_uid = in.owner_uid;
  out.owner_name = detail::security::user_name_or_number(in.owner_uid);
  out.server_count = in.server_count;
  for (const auto& s : in.servers)
    out.servers.push_back({s.pid, s.uid, detail::security::user_name_or_number(s.uid)});
  return out;
}

// One page; a reply without its listing is the broker's fault.
std::error_code request_page(const detail::wire::list_pipes_request& request,
                             detail::wire::pipe_listing& page) {
  detail::wire::reply reply;
  if (auto ec = detail::broker_link::get().call(request, {}, reply)) return ec;
  if (!reply.listing) return make_error_code(errc::invalid_function);
  page = std::move(*reply.listing);
  return {};
}

}  // namespace

std::vector<listed_pipe> list_pipes() {
  std::error_code ec;
  auto pipes = list_pipes(ec);
  detail::throw_if_error(ec, "conduit::list_pipes");
  return pipes;
}

std::vector<listed_pipe> list_pipes(std::error_code& ec) {
  ec.clear();
  std::vector<listed_pipe> pipes;
  try {
    detail::wire::list_pipes_request request;
    for (;;) {
      detail::wire::pipe_listing page;
      if ((ec = request_page(request, page))) return {};
      for (const auto& p : page.pipes) pipes.push_back(from_wire(p));
      // A page that says more but holds nothing would never end.
      if (!page.more || page.pipes.empty()) return pipes;
      request.start = page.pipes.back().name;
    }
  } catch (const std::bad_alloc&) {
    ec = make_error_code(errc::not_enough_memory);
    return {};
  }
}

listed_pipe describe_pipe(std::string_view name) {
  std::error_code ec;
  auto pipe = describe_pipe(name, ec);
  detail::throw_if_error(ec, "conduit::describe_pipe");
  return std::move(*pipe);
}

std::optional<listed_pipe> describe_pipe(std::string_view name, std::error_code& ec) {
  ec.clear();
  try {
    detail::wire::list_pipes_request request;
    request.start = std::string(name);
    request.flags = detail::wire::list_exact;
    detail::wire::pipe_listing page;
    if ((ec = request_page(request, page))) return std::nullopt;
    if (page.pipes.size() != 1) {
      ec = make_error_code(errc::invalid_function);
      return std::nullopt;
    }
    return from_wire(page.pipes.front());
  } catch (const std::bad_alloc&) {
    ec = make_error_code(errc::not_enough_memory);
    return std::nullopt;
  }
}

}  // namespace conduit
