// Minimal loopback TCP relay: tcp-relay <listen-port> <target-port>, both on 127.0.0.1.
//
// Why it exists: proxy-bench.ts runs it beside Gyre and CHP as the floor any userspace proxy hop
// can reach. It does no HTTP parsing and has no event loop: per connection, one blocking thread
// per direction copies bytes (TCP_NODELAY on both sockets). Whatever a real proxy adds on top is
// its own cost; what this relay costs over a direct connection is the cost of the extra hop
// itself (two more sockets, two more wake-ups per message) that no proxy can avoid.
//
// Build: cc -O2 -pthread -o tcp-relay bench/tcp-relay.c
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUF_BYTES (64 * 1024)

/** One relayed connection; the last of its two copy threads to finish closes both fds. */
struct conn {
  int client, target;
  int running; // copy threads not yet finished; updated atomically
};

struct copy_job {
  struct conn *conn;
  int from, to;
};

static int write_all(int fd, const char *p, ssize_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, (size_t)n);
    if (w < 0) return -1;
    p += w;
    n -= w;
  }
  return 0;
}

static void *copy_direction(void *arg) {
  struct copy_job *job = arg;
  char buf[BUF_BYTES];
  ssize_t n;
  while ((n = read(job->from, buf, sizeof buf)) > 0)
    if (write_all(job->to, buf, n) < 0) break;
  if (n == 0) {
    shutdown(job->to, SHUT_WR); // clean EOF: pass it on, the other direction may still flow
  } else {
    // Read or write error: wake the other thread too, whatever it is blocked on.
    shutdown(job->from, SHUT_RDWR);
    shutdown(job->to, SHUT_RDWR);
  }
  struct conn *c = job->conn;
  free(job);
  if (__atomic_sub_fetch(&c->running, 1, __ATOMIC_ACQ_REL) == 0) {
    close(c->client);
    close(c->target);
    free(c);
  }
  return NULL;
}

static struct sockaddr_in loopback(int port) {
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((unsigned short)port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

static void set_nodelay(int fd) {
  int one = 1;
  if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) < 0) perror("TCP_NODELAY");
}

static int start_copy(struct conn *c, int from, int to) {
  struct copy_job *job = malloc(sizeof *job);
  if (!job) return -1;
  *job = (struct copy_job){ .conn = c, .from = from, .to = to };
  pthread_t t;
  int err = pthread_create(&t, NULL, copy_direction, job);
  if (err) {
    fprintf(stderr, "pthread_create: %s\n", strerror(err));
    free(job);
    return -1;
  }
  pthread_detach(t);
  return 0;
}

static void relay(int client, const struct sockaddr_in *target_addr) {
  int target = socket(AF_INET, SOCK_STREAM, 0);
  if (target < 0 || connect(target, (const struct sockaddr *)target_addr, sizeof *target_addr) < 0) {
    perror("connect to target");
    if (target >= 0) close(target);
    close(client);
    return;
  }
  set_nodelay(client);
  set_nodelay(target);
  struct conn *c = malloc(sizeof *c);
  if (!c) {
    close(client);
    close(target);
    return;
  }
  *c = (struct conn){ .client = client, .target = target, .running = 2 };
  if (start_copy(c, client, target) < 0) {
    // No thread started: nothing else owns the fds.
    close(client);
    close(target);
    free(c);
    return;
  }
  if (start_copy(c, target, client) < 0) {
    // One thread runs: shut the sockets down so it ends, and let it close them.
    shutdown(client, SHUT_RDWR);
    shutdown(target, SHUT_RDWR);
    if (__atomic_sub_fetch(&c->running, 1, __ATOMIC_ACQ_REL) == 0) {
      close(client);
      close(target);
      free(c);
    }
  }
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s <listen-port> <target-port>\n", argv[0]);
    return 2;
  }
  int listen_port = atoi(argv[1]), target_port = atoi(argv[2]);
  if (listen_port <= 0 || listen_port > 65535 || target_port <= 0 || target_port > 65535) {
    fprintf(stderr, "%s: ports must be 1-65535\n", argv[0]);
    return 2;
  }
  signal(SIGPIPE, SIG_IGN); // a write to a closed peer returns EPIPE instead of killing us

  struct sockaddr_in listen_addr = loopback(listen_port), target_addr = loopback(target_port);
  int lfd = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
      bind(lfd, (struct sockaddr *)&listen_addr, sizeof listen_addr) < 0 || listen(lfd, 512) < 0) {
    perror("listen");
    return 1;
  }
  for (;;) {
    int client = accept(lfd, NULL, NULL);
    if (client < 0) {
      perror("accept"); // e.g. a connection reset before accept: keep serving
      if (errno == EMFILE || errno == ENFILE) usleep(10 * 1000); // out of fds: don't spin
      continue;
    }
    relay(client, &target_addr);
  }
}
