#include <gtest/gtest.h>

#include "relate/relate.hpp"
#include "support/backend.hpp"

using relate::Backend;
using relate::Url;
using relate::UrlError;

TEST(Url, SqliteForms) {
  auto memory = Url::parse("sqlite://");
  EXPECT_EQ(memory.backend(), Backend::sqlite);
  EXPECT_TRUE(memory.is_memory());
  EXPECT_EQ(memory.masked(), "sqlite://");

  auto relative = Url::parse("sqlite:///data/app.db");
  EXPECT_FALSE(relative.is_memory());
  EXPECT_EQ(relative.database(), "data/app.db");
  EXPECT_EQ(relative.masked(), "sqlite:///data/app.db");

  auto absolute = Url::parse("sqlite:////var/lib/app.db");
  EXPECT_EQ(absolute.database(), "/var/lib/app.db");
  EXPECT_EQ(absolute.masked(), "sqlite:////var/lib/app.db");

  EXPECT_TRUE(Url::parse("sqlite:///:memory:").is_memory());
}

TEST(Url, PostgresqlForms) {
  auto url = Url::parse("postgresql://scott:tiger@db.example.com:5433/shop?sslmode=require");
  EXPECT_EQ(url.backend(), Backend::postgresql);
  EXPECT_EQ(url.backend_name(), "postgresql");
  EXPECT_EQ(url.user(), "scott");
  EXPECT_EQ(url.password(), "tiger");
  EXPECT_EQ(url.host(), "db.example.com");
  EXPECT_EQ(url.port(), 5433);
  EXPECT_EQ(url.database(), "shop");
  EXPECT_EQ(url.query_value("sslmode"), "require");

  auto socket = Url::parse("postgresql:///shop?host=/run/postgresql&user=app");
  EXPECT_EQ(socket.host(), "");
  EXPECT_EQ(socket.database(), "shop");
  EXPECT_EQ(socket.query_value("host"), "/run/postgresql");
  EXPECT_EQ(socket.query_value("user"), "app");

  auto alias = Url::parse("postgres://u@localhost/db");
  EXPECT_EQ(alias.backend(), Backend::postgresql);
  EXPECT_FALSE(alias.port().has_value());

  auto ipv6 = Url::parse("postgresql://u@[::1]:5432/db");
  EXPECT_EQ(ipv6.host(), "::1");
  EXPECT_EQ(ipv6.port(), 5432);
}

TEST(Url, PercentDecoding) {
  auto url = Url::parse("postgresql://us%40er:p%3Ass%2Fw@host/my%20db?options=-csearch_path%3Dx");
  EXPECT_EQ(url.user(), "us@er");
  EXPECT_EQ(url.password(), "p:ss/w");
  EXPECT_EQ(url.database(), "my db");
  EXPECT_EQ(url.query_value("options"), "-csearch_path=x");
}

TEST(Url, MaskedHidesEveryPassword) {
  auto url = Url::parse("postgresql://scott:tiger@host:5432/db?password=lion&sslmode=disable");
  EXPECT_EQ(url.masked(), "postgresql://scott:***@host:5432/db?password=***&sslmode=disable");
  std::ostringstream out;
  out << url;
  EXPECT_EQ(out.str(), url.masked());
  EXPECT_EQ(Url::parse("postgresql://scott@host/db").masked(), "postgresql://scott@host/db");
  EXPECT_EQ(Url::parse("postgres:///db?host=/tmp").masked(), "postgres:///db?host=/tmp");
}

// Found by fuzz/url.cpp: a decoded host holding ']' or '[' was written into
// masked() as is, so the masked URL no longer parsed (or named another host).
TEST(Url, MaskedFormParsesBackToTheSameHost) {
  for (const char* text :
       {"postgresql://u:p@a%3Ab%5D%3A/db", "postgresql://u:p@%5Bx/db",
        "postgresql://u:p@[fe80::1%25eth0]:5432/db", "postgresql://u@[::1]/db"}) {
    const auto url = Url::parse(text);
    const auto again = Url::parse(url.masked());
    EXPECT_EQ(again.host(), url.host()) << text << " -> " << url.masked();
    EXPECT_EQ(again.port(), url.port()) << text;
    EXPECT_EQ(again.database(), "db") << text;
  }
  EXPECT_EQ(Url::parse("postgresql://u:p@a%3Ab%5D%3A/db").host(), "a:b]:");
  // Inside brackets, escapes are decoded too: an IPv6 zone is written %25.
  EXPECT_EQ(Url::parse("postgresql://u@[fe80::1%25eth0]:5432/db").host(), "fe80::1%eth0");
  EXPECT_EQ(Url::parse("postgresql://u@[::1]/db").masked(), "postgresql://u@[::1]/db");
}

TEST(Url, BadUrlsSayWhatIsWrong) {
  auto message = [](std::string_view text) {
    try {
      (void)Url::parse(text);
    } catch (const UrlError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message("mysql://u:p@h/db").find("unknown database URL scheme 'mysql'"),
            std::string::npos);
  EXPECT_NE(message("just-a-file.db").find("expected scheme://"), std::string::npos);
  EXPECT_NE(message("sqlite://host/file.db").find("has no host"), std::string::npos);
  EXPECT_NE(message("sqlite:///x.db?mode=ro").find("no query parameters"), std::string::npos);
  EXPECT_NE(message("postgresql://h:99999/db").find("invalid port '99999'"), std::string::npos);
  EXPECT_NE(message("postgresql://h:abc/db").find("invalid port 'abc'"), std::string::npos);
  EXPECT_NE(message("postgresql://h:/db").find("empty port"), std::string::npos);
  EXPECT_NE(message("postgresql://h/db?flag").find("key=value"), std::string::npos);
  EXPECT_NE(message("postgresql://u:p%zzw@h/db").find("percent-escape in the password"),
            std::string::npos);
  // The password never appears, even in a message about the password.
  EXPECT_EQ(message("postgresql://u:p%zzw@h/db").find("p%zzw"), std::string::npos);
  EXPECT_NE(message("postgresql://[::1/db").find("IPv6"), std::string::npos);
}

TEST(Url, EngineShowsOnlyTheMaskedUrl) {
  auto engine = relate::create_engine("postgresql://scott:tiger@localhost:1/db");
  EXPECT_EQ(engine.url(), "postgresql://scott:***@localhost:1/db");
  EXPECT_EQ(engine.dialect().name(), "postgresql");
  EXPECT_THROW(relate::create_engine("oracle://x/y"), UrlError);
}

TEST(Url, FailedPostgresqlConnectionDoesNotShowThePassword) {
  // Nothing listens on port 1, so the connection is refused at once.
  auto engine = relate::create_engine(
      "postgresql://alice:s3cret-pw@127.0.0.1:1/db?password=other-s3cret&connect_timeout=2");
  try {
    (void)engine.connect();
    FAIL() << "connecting to port 1 should fail";
  } catch (const relate::OperationalError& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.find("s3cret"), std::string::npos) << what;
    EXPECT_EQ(e.info().driver_message.find("s3cret"), std::string::npos);
    EXPECT_NE(what.find("postgresql://alice:***@127.0.0.1:1/db"), std::string::npos) << what;
  }
}

TEST(Url, RejectedPostgresqlLoginDoesNotShowThePassword) {
  // A real server refusing an unknown role; the password travels in the URL.
  auto server = Url::parse(relate::testing::postgres_server_url());
  std::string url = "postgresql://no_such_role_x:hunter2-secret@/" + server.database() + "?";
  for (const auto& [key, value] : server.query())
    if (key != "user") url += key + "=" + value + "&";
  auto engine = relate::create_engine(url);
  try {
    (void)engine.connect();
    FAIL() << "an unknown role should be refused";
  } catch (const relate::OperationalError& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.find("hunter2"), std::string::npos) << what;
    EXPECT_NE(what.find("no_such_role_x"), std::string::npos) << what;
  }
}
