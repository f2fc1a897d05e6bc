// ldap_lookup_bench: lookups per second and p99 latency of the LDAP directory
// backend against a private slapd on this machine (docs/benchmarks.md,
// section "LDAP lookups").
//
// Starts a throw-away slapd (the test fixture of tests/unit/directory_ldap),
// loads --accounts accounts spread over --domains domains, and then runs, each
// with --threads concurrent callers for --seconds after a short warm-up:
//
//   resolve, cache         Resolver::resolve over LdapDirectory, cache TTL 60 s (warmed)
//   resolve, no cache      the same with TTL 0: every resolve goes to slapd
//                          (2 searches: the domain, then alias-or-account)
//   authenticate, bind     Authenticator::authenticate, auth by bind, no cache
//   authenticate, bind, cache  the same with the cache (the bind is never cached)
//   ..., pool 4            the same two with the old default pool_size 4
//   resolve, no cache, async  the same resolves submitted through
//                          AsyncDirectory with the server's worker count,
//                          max(4, 2 x cores), as hostmail serve does
//   libldap, resolve       the peer: a plain libldap client, one connection per
//                          thread, making the same searches (filter, base,
//                          attributes, size limit) as one uncached resolve
//   libldap, 1 search      the same client making only the account search
//   libldap, bind          the same client binding as the account (the peer of
//                          the bind in authenticate)
//   sqlite resolve         Resolver::resolve over the embedded directory, for
//                          reference
//
// and prints the figures, the machine, and the ratios against the targets of
// issue 6: >= 200,000 resolves/s with the cache, and uncached resolves at
// >= 80% of the plain client's rate for the same searches.
//
// Callers pick addresses with their own pseudo-random sequence; each keeps its
// own latencies, merged after join(), so measuring costs no shared state.

#include <ldap.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "auth/password_scheme.h"
#include "directory/async_directory.h"
#include "directory/authenticator.h"
#include "directory/ldap/ldap_connection.h"
#include "directory/ldap/ldap_directory.h"
#include "directory/ldap/ldap_filter.h"
#include "directory/resolver.h"
#include "directory/sqlite/sqlite_directory.h"
#include "slapd_server.h"

namespace hm::bench {
namespace {

namespace dir = hm::directory;
namespace ldapdir = hm::directory::ldap;
using Clock = std::chrono::steady_clock;

constexpr char kPassword[] = "bench secret";

struct Options {
  int accounts = 10000;
  int domains = 10;
  int threads = 20;
  double seconds = 5.0;
  double warmup = 0.2;  // before each measured slice
  int rounds = 5;
  int pool_size = 0;  // the [directory.ldap] pool_size default: one per caller
};

std::string domain_name(int d) { return fmt::format("d{}.example", d); }
std::string address(const Options& o, int i) {
  return fmt::format("u{}@{}", i, domain_name(i % o.domains));
}

// ---- measuring ----

struct Figure {
  std::string name;
  double per_second = 0;
  double p50_us = 0;
  double p99_us = 0;
  uint64_t failures = 0;
};

using Op = std::function<bool(int thread, uint64_t random)>;

struct Bench {
  std::string name;
  Op op;
};

struct Sample {
  std::vector<float> latencies_us;
  double seconds = 0;
  uint64_t failures = 0;
};

// Runs op(thread, random) on o.threads threads: o.warmup seconds unmeasured,
// then `seconds` measured. op returns false on a failure, which is counted
// (and must stay zero).
void sample(const Options& o, double seconds, const Op& op, Sample& into) {
  std::atomic<int> phase{0};  // 0 warm-up, 1 measure, 2 stop
  std::vector<std::vector<float>> latencies(o.threads);
  std::vector<uint64_t> failures(o.threads, 0);
  std::vector<std::thread> threads;
  static std::atomic<uint64_t> seed{1};
  for (int t = 0; t < o.threads; ++t) {
    threads.emplace_back([&, t] {
      std::vector<float>& mine = latencies[t];
      mine.reserve(1 << 18);
      uint64_t x = 0x9E3779B97F4A7C15ull * seed.fetch_add(1);  // xorshift, never 0
      for (;;) {
        int p = phase.load(std::memory_order_relaxed);
        if (p == 2) break;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        auto start = Clock::now();
        bool ok = op(t, x);
        auto end = Clock::now();
        if (p == 1) {
          mine.push_back(std::chrono::duration<float, std::micro>(end - start).count());
          if (!ok) ++failures[t];
        }
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(o.warmup));
  auto begin = Clock::now();
  phase.store(1);
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  phase.store(2);
  auto end = Clock::now();
  for (auto& th : threads) th.join();
  // Calls still running at the stop signal finish after `end`: a few per
  // thread, counted in.
  into.seconds += std::chrono::duration<double>(end - begin).count();
  for (int t = 0; t < o.threads; ++t) {
    into.latencies_us.insert(into.latencies_us.end(), latencies[t].begin(), latencies[t].end());
    into.failures += failures[t];
  }
}

Figure summarize(const std::string& name, Sample& s) {
  Figure f;
  f.name = name;
  f.failures = s.failures;
  f.per_second = static_cast<double>(s.latencies_us.size()) / s.seconds;
  std::vector<float>& all = s.latencies_us;
  if (!all.empty()) {
    auto at = [&](double q) {
      size_t k = std::min(all.size() - 1, static_cast<size_t>(q * static_cast<double>(all.size())));
      std::nth_element(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(k), all.end());
      return static_cast<double>(all[k]);
    };
    f.p50_us = at(0.50);
    f.p99_us = at(0.99);
  }
  std::printf("  %-30s %12.0f /s   p50 %8.1f us   p99 %8.1f us   failures %llu\n", f.name.c_str(),
              f.per_second, f.p50_us, f.p99_us, static_cast<unsigned long long>(f.failures));
  std::fflush(stdout);
  return f;
}

// The benches take turns, o.rounds rounds of o.seconds / o.rounds each, so
// that the load other programs put on a shared machine falls on all of them
// alike and the ratios between them hold even when the absolute figures
// wander.
std::vector<Figure> measure_interleaved(const Options& o, const std::vector<Bench>& benches) {
  std::vector<Sample> samples(benches.size());
  for (int r = 0; r < o.rounds; ++r) {
    for (size_t b = 0; b < benches.size(); ++b) {
      sample(o, o.seconds / o.rounds, benches[b].op, samples[b]);
    }
  }
  std::vector<Figure> out;
  for (size_t b = 0; b < benches.size(); ++b) out.push_back(summarize(benches[b].name, samples[b]));
  return out;
}

// ---- the machine ----

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      size_t colon = line.find(':');
      if (colon != std::string::npos) return line.substr(colon + 2);
    }
  }
  return "unknown";
}

std::string kernel() {
  utsname u{};
  if (uname(&u) != 0) return "unknown";
  return std::string(u.sysname) + " " + u.release + " " + u.machine;
}

// ---- loading the directories ----

Status load_ldap(const ldapdir::testing::SlapdServer& slapd, const Options& o,
                 const std::string& hash) {
  const std::string base = ldapdir::testing::kBase;
  auto conn = ldapdir::Connection::open(slapd.uri(), std::chrono::milliseconds(10000));
  if (!conn) return fail(std::move(conn).error());
  HM_TRY((*conn)->bind({ldapdir::testing::kRootDn, slapd.root_password()}));
  for (int d = 0; d < o.domains; ++d) {
    HM_TRY((*conn)->add("o=" + domain_name(d) + "," + base,
                        {{"objectClass", {"top", "organization"}}, {"o", {domain_name(d)}}}));
  }
  // Adds from a few connections at once: slapd syncs every write.
  constexpr int kLoaders = 4;
  std::vector<Status> results(kLoaders, ok());
  std::vector<std::thread> loaders;
  for (int l = 0; l < kLoaders; ++l) {
    loaders.emplace_back([&, l] {
      auto c = ldapdir::Connection::open(slapd.uri(), std::chrono::milliseconds(10000));
      if (!c) {
        results[l] = fail(std::move(c).error());
        return;
      }
      results[l] = (*c)->bind({ldapdir::testing::kRootDn, slapd.root_password()});
      for (int i = l; results[l] && i < o.accounts; i += kLoaders) {
        std::string mail = address(o, i);
        std::string local = fmt::format("u{}", i);
        std::string domain = domain_name(i % o.domains);
        results[l] = (*c)->add("mail=" + mail + ",o=" + domain + "," + base,
                               {{"objectClass", {"top", "inetOrgPerson", "CourierMailAccount"}},
                                {"mail", {mail}},
                                {"cn", {local}},
                                {"sn", {local}},
                                {"userPassword", {hash}},
                                {"homeDirectory", {"/var/vmail/domains"}},
                                {"mailbox", {domain + "/" + local + "/"}},
                                {"uidNumber", {"5000"}},
                                {"gidNumber", {"5000"}}});
      }
    });
  }
  for (auto& t : loaders) t.join();
  for (Status& s : results) HM_TRY(std::move(s));
  return ok();
}

Result<std::unique_ptr<dir::Directory>> load_sqlite(const std::filesystem::path& path,
                                                    const Options& o, const std::string& hash) {
  auto db =
      dir::sqlite::SqliteDirectory::open(path.string(), dir::sqlite::OpenMode::kCreateIfMissing);
  if (!db) return fail(std::move(db).error());
  dir::Actor service;
  for (int d = 0; d < o.domains; ++d) {
    HM_TRY((*db)->add_domain(service, dir::Domain{domain_name(d)}, {}));
  }
  for (int i = 0; i < o.accounts; ++i) {
    dir::Account a;
    a.address = address(o, i);
    a.password_hash = hash;
    a.mailbox = fmt::format("{}/u{}/", domain_name(i % o.domains), i);
    a.uid_number = a.gid_number = 5000;
    HM_TRY((*db)->add_account(service, a));
  }
  return std::unique_ptr<dir::Directory>(std::move(*db));
}

// ---- the plain libldap client ----

// One connection per thread, bound as the same service DN hostmail uses.
class PlainClient {
 public:
  static std::unique_ptr<PlainClient> open(const std::string& uri, const std::string& dn,
                                           const std::string& password) {
    LDAP* ld = nullptr;
    if (ldap_initialize(&ld, uri.c_str()) != LDAP_SUCCESS) return nullptr;
    std::unique_ptr<PlainClient> c(new PlainClient(ld));
    int version = LDAP_VERSION3;
    ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &version);
    if (!c->bind(dn, password)) return nullptr;
    return c;
  }
  ~PlainClient() { ldap_unbind_ext_s(ld_, nullptr, nullptr); }

  bool bind(const std::string& dn, const std::string& password) {
    berval cred{password.size(), const_cast<char*>(password.data())};
    return ldap_sasl_bind_s(ld_, dn.c_str(), LDAP_SASL_SIMPLE, &cred, nullptr, nullptr, nullptr) ==
           LDAP_SUCCESS;
  }

  // A search as LdapDirectory::find_entry makes it; returns the number of
  // entries, -1 on an error. Reads the values of `attribute` as a real
  // client would.
  int search(const std::string& base, const std::string& filter, char** attrs,
             const char* attribute, int size_limit = 2) {
    LDAPMessage* res = nullptr;
    timeval tv{5, 0};
    int rc = ldap_search_ext_s(ld_, base.c_str(), LDAP_SCOPE_SUBTREE, filter.c_str(), attrs, 0,
                               nullptr, nullptr, &tv, size_limit, &res);
    int n = 0;
    if (rc == LDAP_SUCCESS) {
      for (LDAPMessage* e = ldap_first_entry(ld_, res); e; e = ldap_next_entry(ld_, e)) {
        ++n;
        if (berval** v = ldap_get_values_len(ld_, e, attribute)) ldap_value_free_len(v);
      }
    }
    ldap_msgfree(res);
    return rc == LDAP_SUCCESS ? n : -1;
  }

 private:
  explicit PlainClient(LDAP* ld) : ld_(ld) {}
  LDAP* ld_;
};

// ---- the run ----

int run(const Options& o) {
  std::printf(
      "ldap_lookup_bench: %d accounts in %d domains, %d threads, %.1f s per figure, "
      "pool_size %d (0: one connection per caller)\n",
      o.accounts, o.domains, o.threads, o.seconds, o.pool_size);
  std::printf("machine: %u cpus (nproc %ld), %s, %s\n", std::thread::hardware_concurrency(),
              sysconf(_SC_NPROCESSORS_ONLN), cpu_model().c_str(), kernel().c_str());
  std::fflush(stdout);

  auto slapd = ldapdir::testing::SlapdServer::start();
  if (!slapd) {
    std::fprintf(stderr, "cannot start slapd: %s\n", slapd.error().describe().c_str());
    return 1;
  }
  // {SSHA}: cheap for slapd and for us, so that the bind figure measures
  // LDAP and not a deliberately slow hash.
  auto hash = auth::hash_password(kPassword, "SSHA");
  if (!hash) {
    std::fprintf(stderr, "hash: %s\n", hash.error().describe().c_str());
    return 1;
  }
  auto load_start = Clock::now();
  if (auto s = load_ldap(**slapd, o, *hash); !s) {
    std::fprintf(stderr, "loading slapd: %s\n", s.error().describe().c_str());
    return 1;
  }
  std::printf("loaded slapd in %.1f s (%s)\n",
              std::chrono::duration<double>(Clock::now() - load_start).count(),
              (*slapd)->uri().c_str());
  std::fflush(stdout);

  auto ldap_directory = [&](std::chrono::seconds ttl, int pool_size) {
    ldapdir::LdapOptions lo;
    lo.uris = {(*slapd)->uri()};
    lo.base = ldapdir::testing::kBase;
    lo.bind_dn = ldapdir::testing::kRootDn;
    lo.bind_password = (*slapd)->root_password();
    lo.cache_ttl = ttl;
    lo.pool_size = pool_size;
    auto d = ldapdir::LdapDirectory::open(lo);
    if (!d) {
      std::fprintf(stderr, "LdapDirectory: %s\n", d.error().describe().c_str());
      std::exit(1);
    }
    return std::move(*d);
  };
  dir::ResolverOptions ro;
  ro.local_user = [](std::string_view) -> Result<std::optional<dir::LocalUser>> {
    return std::nullopt;
  };
  auto pick = [&](uint64_t x) { return address(o, static_cast<int>(x % o.accounts)); };
  std::vector<Bench> benches;

  // (a) resolve with the cache, warmed with every address first.
  auto cached_directory = ldap_directory(std::chrono::seconds(60), o.pool_size);
  dir::Resolver cached_resolver(*cached_directory, ro);
  for (int i = 0; i < o.accounts; ++i) {
    auto r = cached_resolver.resolve(address(o, i));
    if (!r) {
      std::fprintf(stderr, "warming %s: %s\n", address(o, i).c_str(), r.error().describe().c_str());
      return 1;
    }
  }
  benches.push_back({"resolve, cache", [&](int, uint64_t x) {
                       auto r = cached_resolver.resolve(pick(x));
                       return r && r->destinations.size() == 1;
                     }});

  // (a') authenticate by bind with the cache: the account and its
  // postmaster domains come from the cache; the bind always goes to slapd.
  dir::Authenticator cached_authenticator(*cached_directory, dir::AuthenticatorOptions{});
  benches.push_back({"authenticate, bind, cache", [&](int, uint64_t x) {
                       return cached_authenticator
                           .authenticate(pick(x), kPassword, dir::Service::kImap)
                           .has_value();
                     }});

  // (b) resolve and (c) authenticate by bind without the cache: with the
  // configured pool, and with the old default of 4 connections.
  constexpr int kOldPool = 4;
  std::vector<int> pools = {o.pool_size};
  if (o.pool_size != kOldPool) pools.push_back(kOldPool);
  std::vector<std::unique_ptr<ldapdir::LdapDirectory>> directories;
  std::vector<std::unique_ptr<dir::Resolver>> resolvers;
  std::vector<std::unique_ptr<dir::Authenticator>> authenticators;
  for (int pool : pools) {
    std::string suffix = pool == o.pool_size ? "" : fmt::format(", pool {}", pool);
    directories.push_back(ldap_directory(std::chrono::seconds(0), pool));
    resolvers.push_back(std::make_unique<dir::Resolver>(*directories.back(), ro));
    const dir::Resolver& resolver = *resolvers.back();
    benches.push_back({"resolve, no cache" + suffix, [&](int, uint64_t x) {
                         auto r = resolver.resolve(pick(x));
                         return r && r->destinations.size() == 1;
                       }});
    directories.push_back(ldap_directory(std::chrono::seconds(0), pool));
    authenticators.push_back(
        std::make_unique<dir::Authenticator>(*directories.back(), dir::AuthenticatorOptions{}));
    const dir::Authenticator& authenticator = *authenticators.back();
    benches.push_back(
        {"authenticate, bind" + suffix, [&](int, uint64_t x) {
           return authenticator.authenticate(pick(x), kPassword, dir::Service::kImap).has_value();
         }});
  }

  // (b') the uncached resolves as the server makes them: submitted to
  // AsyncDirectory, whose workers (as many as hostmail serve starts) call
  // the resolver; the callers wait for the answer.
  const size_t cores = std::max(1u, std::thread::hardware_concurrency());
  const size_t workers = std::max<size_t>(4, cores * 2);
  directories.push_back(ldap_directory(std::chrono::seconds(0), o.pool_size));
  resolvers.push_back(std::make_unique<dir::Resolver>(*directories.back(), ro));
  authenticators.push_back(
      std::make_unique<dir::Authenticator>(*directories.back(), dir::AuthenticatorOptions{}));
  dir::AsyncDirectory async_directory(*resolvers.back(), *authenticators.back(), workers,
                                      std::chrono::seconds(10));
  const std::string async_name = fmt::format("resolve, no cache, async {}", workers);
  benches.push_back({async_name, [&](int, uint64_t x) {
                       // The callback owns the promise: it may still be in
                       // set_value when get() returns here.
                       auto done = std::make_shared<std::promise<bool>>();
                       auto answer = done->get_future();
                       async_directory.resolve(pick(x), [done](Result<dir::Resolution> r) {
                         done->set_value(r && r->destinations.size() == 1);
                       });
                       return answer.get();
                     }});

  // (d) the plain libldap client: one connection per thread for searches
  // (bound as the service DN) and one for binds as the accounts.
  const ldapdir::LdapOptions defaults;
  std::vector<std::unique_ptr<PlainClient>> searchers, binders;
  for (int t = 0; t < 2 * o.threads; ++t) {
    auto c =
        PlainClient::open((*slapd)->uri(), ldapdir::testing::kRootDn, (*slapd)->root_password());
    if (!c) {
      std::fprintf(stderr, "plain libldap client cannot connect\n");
      return 1;
    }
    (t < o.threads ? searchers : binders).push_back(std::move(c));
  }
  const std::string base = ldapdir::testing::kBase;
  // The attribute lists of LdapDirectory::find_domain, find_account and
  // find_alias_or_account (the account's, the alias's maildrop, objectClass).
  std::vector<std::string> account_attrs = {
      "mail",      "cn",        "userPassword", "homeDirectory", "mailbox",
      "uidNumber", "gidNumber", "quota",        "disableimap",   "disablepop3"};
  std::vector<std::string> either_attrs = account_attrs;
  either_attrs.push_back("maildrop");
  either_attrs.push_back("objectClass");
  std::vector<char*> account_ptrs, either_ptrs, domain_ptrs;
  for (auto& a : account_attrs) account_ptrs.push_back(a.data());
  account_ptrs.push_back(nullptr);
  for (auto& a : either_attrs) either_ptrs.push_back(a.data());
  either_ptrs.push_back(nullptr);
  std::string none = "1.1";
  domain_ptrs = {none.data(), nullptr};
  auto filter = [](const std::string& pattern, const std::string& key) {
    return *ldapdir::expand_filter(pattern, key);
  };
  benches.push_back({"libldap, resolve", [&](int t, uint64_t x) {
                       std::string a = pick(x);
                       std::string domain = a.substr(a.find('@') + 1);
                       PlainClient& c = *searchers[t];
                       // find_domain, then find_alias_or_account's single
                       // search: the OR of the two filters, size limit 4.
                       std::string either = "(|" + filter(defaults.alias_filter, a) +
                                            filter(defaults.account_filter, a) + ")";
                       return c.search(base, filter(defaults.domain_filter, domain),
                                       domain_ptrs.data(), "o") == 1 &&
                              c.search(base, either, either_ptrs.data(), "mailbox", 4) == 1;
                     }});
  benches.push_back({"libldap, 1 search", [&](int t, uint64_t x) {
                       return searchers[t]->search(base, filter(defaults.account_filter, pick(x)),
                                                   account_ptrs.data(), "mailbox") == 1;
                     }});
  benches.push_back({"libldap, bind", [&](int t, uint64_t x) {
                       std::string a = pick(x);
                       std::string dn =
                           "mail=" + a + ",o=" + a.substr(a.find('@') + 1) + "," + base;
                       return binders[t]->bind(dn, kPassword);
                     }});

  // The embedded directory, for reference.
  auto sqlite = load_sqlite((*slapd)->dir() / "bench-directory.db", o, *hash);
  if (!sqlite) {
    std::fprintf(stderr, "loading SQLite: %s\n", sqlite.error().describe().c_str());
    return 1;
  }
  dir::Resolver sqlite_resolver(**sqlite, ro);
  benches.push_back({"sqlite resolve", [&](int, uint64_t x) {
                       auto r = sqlite_resolver.resolve(pick(x));
                       return r && r->destinations.size() == 1;
                     }});

  std::printf("%d rounds of %.1f s per figure, the figures taking turns:\n", o.rounds,
              o.seconds / o.rounds);
  std::vector<Figure> figures = measure_interleaved(o, benches);

  auto find = [&](std::string_view name) -> const Figure& {
    for (const Figure& f : figures) {
      if (f.name == name) return f;
    }
    std::abort();
  };
  const Figure& cached = find("resolve, cache");
  const Figure& uncached = find("resolve, no cache");
  const Figure& peer = find("libldap, resolve");
  bool failures =
      std::any_of(figures.begin(), figures.end(), [](const Figure& f) { return f.failures != 0; });
  double cached_ratio = cached.per_second / 200000.0;
  double peer_ratio = uncached.per_second / peer.per_second;
  std::printf("targets:\n");
  std::printf("  resolve with cache   %.0f /s = %.2f x 200,000/s  %s\n", cached.per_second,
              cached_ratio, cached_ratio >= 1.0 ? "PASS" : "MISS");
  std::printf(
      "  resolve, no cache    %.0f /s = %.0f%% of libldap's %.0f /s for the same "
      "searches (target 80%%)  %s\n",
      uncached.per_second, 100 * peer_ratio, peer.per_second, peer_ratio >= 0.8 ? "PASS" : "MISS");
  if (pools.size() > 1) {
    const Figure& old = find(fmt::format("resolve, no cache, pool {}", kOldPool));
    std::printf("  (with the old pool_size %d: %.0f /s = %.0f%% of libldap)\n", kOldPool,
                old.per_second, 100 * old.per_second / peer.per_second);
  }
  const Figure& async = find(async_name);
  std::printf("  (through AsyncDirectory, %zu workers: %.0f /s = %.0f%% of libldap)\n", workers,
              async.per_second, 100 * async.per_second / peer.per_second);
  if (failures) std::printf("  FAILED lookups: see the failures column\n");
  return failures ? 1 : 0;
}

}  // namespace
}  // namespace hm::bench

int main(int argc, char** argv) {
  hm::bench::Options o;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", argv[i]);
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--accounts") {
      o.accounts = std::atoi(value());
    } else if (a == "--domains") {
      o.domains = std::atoi(value());
    } else if (a == "--threads") {
      o.threads = std::atoi(value());
    } else if (a == "--seconds") {
      o.seconds = std::atof(value());
    } else if (a == "--warmup") {
      o.warmup = std::atof(value());
    } else if (a == "--rounds") {
      o.rounds = std::atoi(value());
    } else if (a == "--pool") {
      o.pool_size = std::atoi(value());
    } else {
      std::fprintf(stderr,
                   "usage: ldap_lookup_bench [--accounts N] [--domains N] [--threads N] "
                   "[--seconds S] [--warmup S] [--rounds N] [--pool N]\n");
      return 2;
    }
  }
  if (o.accounts < 1 || o.domains < 1 || o.threads < 1 || o.seconds <= 0 || o.rounds < 1 ||
      o.pool_size < 0) {
    std::fprintf(stderr, "every number must be positive\n");
    return 2;
  }
  return hm::bench::run(o);
}
