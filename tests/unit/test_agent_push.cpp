// --push's pure parts and its queue: the URL check, Pyroscope's `name`, and a
// pusher whose endpoint refuses connections (a port bound here, never listened
// on): it counts the failures and the drops and ends when told, losing nothing
// silently.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <thread>

#include "agent/profile_push.h"

namespace pmt {
namespace {

TEST(AgentPushUrl, AcceptsHttpUrlsWithAPrefix) {
    auto url = parse_push_url("http://127.0.0.1:4040");
    ASSERT_TRUE(url) << url.error().message;
    EXPECT_EQ(url->scheme_host_port, "http://127.0.0.1:4040");
    EXPECT_EQ(url->path_prefix, "");
    url = parse_push_url("https://profiles.example.com/pyroscope/");
    ASSERT_TRUE(url) << url.error().message;
    EXPECT_EQ(url->scheme_host_port, "https://profiles.example.com");
    EXPECT_EQ(url->path_prefix, "/pyroscope");
    url = parse_push_url("http://[::1]:4040/");
    ASSERT_TRUE(url) << url.error().message;
    EXPECT_EQ(url->scheme_host_port, "http://[::1]:4040");
    EXPECT_EQ(url->path_prefix, "");
}

TEST(AgentPushUrl, RefusesWhatIsNotOne) {
    for (const char* bad : {"127.0.0.1:4040", "ftp://h:21", "http://h:0", "http://h:65536", "http://h/?q=1",
                            "http://", "http://a b/", "http://h:4040#x"}) {
        auto url = parse_push_url(bad);
        EXPECT_FALSE(url) << bad;
        if (!url) {
            EXPECT_NE(url.error().message.find("--push"), std::string::npos);
        }
    }
}

TEST(AgentPushName, AppAndSortedLabelsWithSafeValues) {
    EXPECT_EQ(pyroscope_name("phpmemtrace", {{"pool", "www"}, {"host", "web-1.example"}}),
              "phpmemtrace{host=web-1.example,pool=www}");
    // A ',', '=', '}' or space would end or break the label in Pyroscope's syntax.
    EXPECT_EQ(pyroscope_name("phpmemtrace", {{"binary", "a,b=c}d e"}, {"php_version", ""}}),
              "phpmemtrace{binary=a_b_c_d_e,php_version=_}");
}

TEST(AgentPusher, CountsFailuresAndDropsWhileTheEndpointIsDown) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
    auto url = parse_push_url("http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)));
    ASSERT_TRUE(url);
    PushOptions options;
    options.max_queued_bytes = 15;  // one 10-byte profile fits, two do not
    options.max_backoff_s = 0.5;
    std::mutex reported_mutex;  // called from the sender thread and from enqueue()
    uint64_t reported_dropped = 0;
    {
        ProfilePusher pusher(*url, options, [&](const PushCounts& c) {
            std::lock_guard lock(reported_mutex);
            reported_dropped = std::max(reported_dropped, c.dropped);
        });
        for (int i = 0; i < 3; ++i) pusher.enqueue(PushItem{{{"pool", "www"}}, 1, 2, std::string(10, 'x')});
        const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        while (pusher.counts().failures < 2 && std::chrono::steady_clock::now() < until)
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        PushCounts c = pusher.counts();
        EXPECT_GE(c.failures, 2u);
        EXPECT_EQ(c.sent, 0u);
        EXPECT_EQ(c.dropped, 2u);  // the two oldest, for the queue's bound
        EXPECT_EQ(c.queued, 1u);
        EXPECT_EQ(c.queued_bytes, 10u);
        pusher.stop(0);
        c = pusher.counts();
        EXPECT_EQ(c.sent + c.dropped, 3u);  // every profile accounted for
        EXPECT_EQ(c.queued, 0u);
        EXPECT_EQ(c.queued_bytes, 0u);
    }
    EXPECT_EQ(reported_dropped, 3u);  // the metrics saw it
    close(fd);
}

}  // namespace
}  // namespace pmt
