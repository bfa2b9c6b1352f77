#include "relate/engine/engine.hpp"

#include "engine/state.hpp"

namespace relate {

Engine::Engine(std::shared_ptr<const detail::EngineState> state) : state_(std::move(state)) {}

const Dialect& Engine::dialect() const noexcept { return *state_->dialect; }
Backend Engine::backend() const noexcept { return state_->url.backend(); }
std::string Engine::url() const { return state_->url.masked(); }
const EngineOptions& Engine::options() const noexcept { return state_->options; }
Pool& Engine::pool() const noexcept { return *state_->pool; }
void Engine::dispose() const { state_->pool->dispose(); }

Connection Engine::connect() const {
  auto driver = state_->pool->checkout();
  return Connection(std::make_shared<detail::ConnectionState>(state_, std::move(driver)));
}

Engine create_engine(std::string_view url_text, EngineOptions options) {
  auto state = std::make_shared<detail::EngineState>();
  state->url = Url::parse(url_text);
  state->options = std::move(options);
  const auto& opts = state->options;
  if (opts.echo) state->echo = std::make_unique<Echo>(opts.echo_sink);

  Pool::Factory factory;
  std::size_t size = opts.pool_size;
  if (state->url.backend() == Backend::sqlite) {
    state->dialect = &sqlite_dialect();
    if (state->url.is_memory()) size = 1;
    SqliteSettings settings{.busy_timeout = opts.sqlite_busy_timeout,
                            .foreign_keys = opts.sqlite_foreign_keys};
    factory = [url = state->url, settings] { return connect_sqlite(url, settings); };
  } else {
    state->dialect = &postgresql_dialect();
    factory = [url = state->url] { return connect_postgresql(url); };
  }
  if (opts.wrap_connection)
    factory = [open = std::move(factory), wrap = opts.wrap_connection] { return wrap(open()); };
  state->pool =
      std::make_shared<Pool>(std::move(factory), size, opts.pool_timeout, state->url.masked());
  return Engine(std::move(state));
}

}  // namespace relate
