#include "fpm_stack.h"

#include <gtest/gtest.h>

#include <fstream>

namespace pmt::testing {
namespace {

void write_file(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

const char* kFastcgiParams =
    "      fastcgi_param SCRIPT_NAME $fastcgi_script_name;\n"
    "      fastcgi_param REQUEST_URI $request_uri;\n"
    "      fastcgi_param REQUEST_METHOD $request_method;\n"
    "      fastcgi_param QUERY_STRING $query_string;\n"
    "      fastcgi_param SERVER_PROTOCOL $server_protocol;\n"
    "      fastcgi_param GATEWAY_INTERFACE CGI/1.1;\n";

std::string pool_conf(const std::string& name, const std::string& socket, const FpmPool& p) {
    std::string conf = "[" + name + "]\nlisten = " + socket + "\nlisten.mode = 0666\nclear_env = no\n";
    if (p.dynamic)
        return conf + "pm = dynamic\npm.max_children = " + std::to_string(p.workers) +
               "\npm.start_servers = 1\npm.min_spare_servers = 1\npm.max_spare_servers = " + std::to_string(p.workers) +
               "\n";  // idle workers are kept: the test counts them
    return conf + "pm = static\npm.max_children = " + std::to_string(p.workers) + "\n";
}

// Regex locations match in order: each extra pool's prefix before the default.
std::string pool_location(const std::string& d, const FpmPool& p) {
    return "    location ~ ^/" + p.name + "/(.+\\.php)$ {\n      root " + p.docroot + ";\n      fastcgi_pass unix:" +
           d + "/fpm-" + p.name + ".sock;\n      fastcgi_param SCRIPT_FILENAME $document_root/$1;\n"
           "      fastcgi_param DOCUMENT_ROOT $document_root;\n" + kFastcgiParams + "    }\n";
}

}  // namespace

void start_stack(FpmStack& s, int workers, const std::vector<FpmPool>& extra) {
    const std::string d = s.dir.path();
    std::string conf = "[global]\npid = " + d + "/fpm.pid\nerror_log = " + d + "/fpm.log\ndaemonize = no\n" +
                       pool_conf("www", d + "/fpm.sock", FpmPool{"www", "", workers, false});
    std::string locations;
    for (const FpmPool& p : extra) {
        conf += pool_conf(p.name, d + "/fpm-" + p.name + ".sock", p);
        locations += pool_location(d, p);
    }
    write_file(d + "/fpm.conf", conf);
    s.port = free_loopback_port();
    ASSERT_GT(s.port, 0);
    const std::string docroot = std::string(PMT_SOURCE_DIR) + "/tests/php/fpm";
    write_file(d + "/nginx.conf",
               "worker_processes 1;\nuser root;\npid " + d + "/nginx.pid;\nerror_log " + d +
                   "/nginx_error.log;\nevents { worker_connections 64; }\nhttp {\n  access_log off;\n"
                   "  client_body_temp_path " + d + "/body;\n  fastcgi_temp_path " + d + "/fcgi;\n"
                   "  proxy_temp_path " + d + "/proxy;\n  uwsgi_temp_path " + d + "/uwsgi;\n"
                   "  scgi_temp_path " + d + "/scgi;\n  server {\n    listen 127.0.0.1:" + std::to_string(s.port) +
                   ";\n    root " + docroot + ";\n" + locations + "    location ~ \\.php$ {\n      fastcgi_pass unix:" + d +
                   "/fpm.sock;\n"
                   "      fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;\n"
                   "      fastcgi_param SCRIPT_NAME $fastcgi_script_name;\n"
                   "      fastcgi_param REQUEST_URI $request_uri;\n"
                   "      fastcgi_param REQUEST_METHOD $request_method;\n"
                   "      fastcgi_param QUERY_STRING $query_string;\n"
                   "      fastcgi_param DOCUMENT_ROOT $document_root;\n"
                   "      fastcgi_param SERVER_PROTOCOL $server_protocol;\n"
                   "      fastcgi_param GATEWAY_INTERFACE CGI/1.1;\n    }\n  }\n}\n");
    // -n: no php.ini (no opcache); -R: allowed to run as root (the test runs as root).
    s.fpm = OwnedProcess::spawn({"php-fpm8.2", "-n", "-R", "-y", d + "/fpm.conf", "-F"}, d + "/fpm.out");
    ASSERT_GT(s.fpm.pid(), 0);
    ASSERT_TRUE(wait_for_file(d + "/fpm.sock", 20)) << read_file(d + "/fpm.out") << read_file(d + "/fpm.log");
    s.nginx = OwnedProcess::spawn({"nginx", "-c", d + "/nginx.conf", "-g", "daemon off;"}, d + "/nginx.out");
    ASSERT_GT(s.nginx.pid(), 0);
    ASSERT_TRUE(wait_for_port(s.port, 20)) << read_file(d + "/nginx.out") << read_file(d + "/nginx_error.log");
}

OwnedProcess start_tracer(const FpmStack& s, const std::string& json, const std::vector<std::string>& extra) {
    const std::string ready = json + ".ready";
    std::vector<std::string> argv = {phpmemtrace_binary(), "record", "-q", "-p", std::to_string(s.fpm.pid()),
                                     "-o", json, "--ready-file", ready};
    argv.insert(argv.end(), extra.begin(), extra.end());
    OwnedProcess tracer = OwnedProcess::spawn(argv, json + ".log");
    EXPECT_TRUE(wait_for_file(ready, 60)) << read_file(json + ".log");
    return tracer;
}

void require_web_stack() {
    ASSERT_EQ(run_command({"sh", "-c", "command -v php-fpm8.2 && command -v nginx"}).exit_code, 0)
        << "php-fpm8.2 or nginx is not installed (tools/install-deps.sh installs them)";
}

}  // namespace pmt::testing
