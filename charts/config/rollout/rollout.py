#!/usr/bin/env python3
"""Rolls a deployment's members over to their StatefulSets' current revision, one member at a time.

Run by the deployment's rollout Job, an Argo CD Sync hook: in every sync, once the workloads are
applied, before the applications' Secrets are. The member StatefulSets use the OnDelete update strategy, so a new pod template
(a configuration, secret or image change) restarts nothing by itself; this script decides the order:

  1. the tie-breaker (sentinel only),
  2. the data member that is a replica,
  3. the primary: its pod's pre-stop hook hands the primary role over to the (already restarted)
     replica, and the old primary restarts as a replica.

Only members whose pod runs an older revision restart, and each one only after the previous one is
ready again: its pod Ready and, as the sentinels see it, replicating (a data member) or monitoring the
same primary (the tie-breaker). The same question is asked of every sentinel, and a majority must agree.
Running it again is safe: members already on the current revision are skipped, so a Job interrupted
half way finishes on the next sync.

Python's standard library only (the image is the official python image): the Kubernetes API over
HTTPS with the pod's service account token, the sentinels over TLS with the sentinels' password.
Settings come from the environment (see the rollout Job in charts/rollout.ts).
"""

import json
import os
import socket
import ssl
import sys
import time
import urllib.error
import urllib.request

SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"
# The StatefulSet controller creates a deleted pod's successor within seconds, unless the API server
# refuses it (an invalid pod, one its namespace's pod security forbids): then no wait helps.
CREATE_SECONDS = 60
REVISION_LABEL = "controller-revision-hash"


def log(message):
    print(f"{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())} {message}", flush=True)


class Failure(Exception):
    """A step failed; waits retry it until their timeout, then the Job fails and so does the sync."""


class Stop(Exception):
    """The rollout cannot go on: no retry can help (the pod cannot be created). The Job fails at once."""


class Kube:
    """The few Kubernetes API calls the rollout needs, as the pod's service account."""

    def __init__(self):
        self.base = api_url(os.environ["KUBERNETES_SERVICE_HOST"], os.environ["KUBERNETES_SERVICE_PORT"])
        self.tls = ssl.create_default_context(cafile=f"{SERVICE_ACCOUNT_DIR}/ca.crt")
        self.namespace = os.environ["NAMESPACE"]

    def call(self, method, path, body=None):
        # Read the token on every call: projected tokens are rotated while the pod runs.
        with open(f"{SERVICE_ACCOUNT_DIR}/token", encoding="utf-8") as f:
            token = f.read().strip()
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Authorization", f"Bearer {token}")
        request.add_header("Accept", "application/json")
        # The API server's audit log names the rollout by it.
        request.add_header("User-Agent", "redis-gitops-rollout")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, context=self.tls, timeout=10) as response:
                return json.load(response)
        except urllib.error.HTTPError as e:
            if e.code == 404:
                return None
            raise Failure(f"{method} {path}: HTTP {e.code}: {e.read().decode(errors='replace')[:300]}") from e

    def statefulset(self, name):
        return self.call("GET", f"/apis/apps/v1/namespaces/{self.namespace}/statefulsets/{name}")

    def pod(self, name):
        return self.call("GET", f"/api/v1/namespaces/{self.namespace}/pods/{name}")

    def failed_creates(self, statefulset):
        """The controller's FailedCreate events of a StatefulSet: the API server's reason it refused a pod."""
        events = self.call("GET", f"/api/v1/namespaces/{self.namespace}/events?fieldSelector=involvedObject.name={statefulset},reason=FailedCreate")
        return [e["message"] for e in (events or {}).get("items", [])]

    def delete_pod(self, name, uid):
        # The uid precondition: never delete a pod this script has not looked at.
        self.call("DELETE", f"/api/v1/namespaces/{self.namespace}/pods/{name}", {"preconditions": {"uid": uid}})


class Sentinel:
    """One sentinel, asked one command per connection (RESP over TLS)."""

    def __init__(self, host, port, password, tls):
        self.host, self.port, self.password, self.tls = host, port, password, tls

    def ask(self, *command):
        with socket.create_connection((self.host, self.port), timeout=3) as raw:
            with self.tls.wrap_socket(raw, server_hostname=self.host) as conn:
                reader = conn.makefile("rb")
                for args in (("AUTH", self.password), command):
                    conn.sendall(encode(args))
                    reply = read_reply(reader)
                return reply


def encode(args):
    parts = [f"*{len(args)}\r\n".encode()]
    for arg in args:
        data = str(arg).encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(parts)


def read_reply(reader):
    line = reader.readline()
    if not line:
        raise ConnectionError("connection closed")
    kind, rest = line[:1], line[1:-2].decode()
    if kind == b"+":
        return rest
    if kind == b"-":
        raise Failure(f"sentinel error: {rest}")
    if kind == b":":
        return int(rest)
    if kind == b"$":
        if rest == "-1":
            return None
        data = reader.read(int(rest) + 2)
        return data[:-2].decode()
    if kind == b"*":
        if rest == "-1":
            return None
        return [read_reply(reader) for _ in range(int(rest))]
    raise ConnectionError(f"unexpected reply {line!r}")


def pairs(flat):
    """The entries of SENTINEL REPLICAS and SENTINELS: flat lists of field, value, field, value..."""
    return dict(zip(flat[0::2], flat[1::2]))


class Rollout:
    def __init__(self, kube, sentinels, members, primary_name, timeout):
        self.kube, self.sentinels, self.members = kube, sentinels, members
        self.primary_name, self.timeout = primary_name, timeout

    def wait(self, what, check):
        deadline = time.monotonic() + self.timeout
        last = None
        while time.monotonic() < deadline:
            try:
                result = check()
            except (OSError, Failure) as e:
                result, last = None, e
            if result:
                return result
            time.sleep(1)
        raise Failure(f"timed out after {self.timeout} s waiting for {what}" + (f" (last error: {last})" if last else ""))

    def majority(self, *command):
        """The answer most sentinels give, if more than half of all of them give it."""
        answers = []
        for s in self.sentinels.values():
            try:
                answers.append(json.dumps(s.ask(*command)))
            except (OSError, Failure):
                pass
        for answer in set(answers):
            if answers.count(answer) * 2 > len(self.sentinels):
                return json.loads(answer)
        return None

    def primary(self):
        address = self.majority("SENTINEL", "GET-MASTER-ADDR-BY-NAME", self.primary_name)
        if not address:
            return None
        named = [m for m in self.members if m["holdsData"] and m["host"] == address[0]]
        return named[0] if named else None

    def replicating(self, member):
        """A majority of the sentinels see the member as a healthy replica of the current primary."""

        def healthy(sentinel):
            for replica in map(pairs, sentinel.ask("SENTINEL", "REPLICAS", self.primary_name)):
                if replica.get("ip") == member["host"]:
                    return replica.get("flags") == "slave" and replica.get("master-link-status") == "ok"
            return False

        return self.count(healthy) * 2 > len(self.sentinels)

    def monitoring(self, member):
        """The member's own sentinel answers, names the majority's primary, and its peers see it up."""
        own = self.sentinels[member["name"]]
        current = self.majority("SENTINEL", "GET-MASTER-ADDR-BY-NAME", self.primary_name)
        if not current or own.ask("SENTINEL", "GET-MASTER-ADDR-BY-NAME", self.primary_name) != current:
            return False

        def sees_it(sentinel):
            peers = map(pairs, sentinel.ask("SENTINEL", "SENTINELS", self.primary_name))
            return any(p.get("ip") == member["host"] and "down" not in p.get("flags", "") for p in peers)

        others = [s for name, s in self.sentinels.items() if name != member["name"]]
        return sum(1 for s in others if self.safely(sees_it, s)) == len(others)

    def count(self, check):
        return sum(1 for s in self.sentinels.values() if self.safely(check, s))

    @staticmethod
    def safely(check, sentinel):
        try:
            return check(sentinel)
        except (OSError, Failure):
            return False

    def ready_again(self, member):
        return self.replicating(member) if member["holdsData"] else self.monitoring(member)

    def outdated(self):
        """Members whose pod runs an older revision than their StatefulSet's, in member order."""
        found = []
        for m in self.members:
            sts = self.wait(f"StatefulSet {m['statefulSet']} to observe its spec", lambda m=m: observed(self.kube.statefulset(m["statefulSet"])))
            pod = self.wait(f"pod {m['pod']} to exist", lambda m=m: self.kube.pod(m["pod"]))
            if pod["metadata"]["labels"].get(REVISION_LABEL) != sts["status"]["updateRevision"]:
                found.append(m)
        return found

    def restart(self, member, primary):
        started = time.monotonic()
        old = self.kube.pod(member["pod"])
        sts = self.kube.statefulset(member["statefulSet"])
        role = "the primary " if primary else ""
        log(f"restarting {role}{member['name']}: pod {member['pod']} runs {old['metadata']['labels'].get(REVISION_LABEL)}, current is {sts['status']['updateRevision']}")
        # A primary's pre-stop hook hands its role over (pausing writes until the replica has them all,
        # then a sentinel failover): the same hand-over as any other stop of a primary pod.
        self.kube.delete_pod(member["pod"], old["metadata"]["uid"])
        if primary:
            new = self.wait("the sentinels to name another primary", lambda: (p := self.primary()) and p is not member and p)
            log(f"{new['name']} is the primary after {time.monotonic() - started:.1f} s")

        create_deadline = time.monotonic() + CREATE_SECONDS

        def new_pod_ready():
            pod = self.kube.pod(member["pod"])
            if pod and pod["metadata"]["uid"] != old["metadata"]["uid"]:
                return is_ready(pod)
            if time.monotonic() > create_deadline:
                refusals = self.kube.failed_creates(member["statefulSet"])
                reason = refusals[-1] if refusals else "no event says why"
                raise Stop(f"StatefulSet {member['statefulSet']} has not created a new pod in {CREATE_SECONDS} s: {reason}")
            return None

        self.wait(f"a new pod {member['pod']} to be Ready", new_pod_ready)
        self.wait(f"the sentinels to see {member['name']} ready again", lambda: self.ready_again(member))
        log(f"{member['name']} is ready again after {time.monotonic() - started:.1f} s")

    def run(self):
        todo = self.outdated()
        if not todo:
            log("every member runs its StatefulSet's current revision: nothing to restart")
            return
        primary = self.wait("a majority of the sentinels to name the primary", self.primary)
        replicas = [m for m in self.members if m["holdsData"] and m is not primary]
        # Never start on a degraded service: each restart takes one member away.
        for m in self.members:
            self.wait(f"{m['name']} to be ready before the rollout", lambda m=m: is_ready(self.kube.pod(m["pod"]) or {}) and (m is primary or self.ready_again(m)))
        order = [m for m in todo if not m["holdsData"]] + [m for m in replicas if m in todo] + ([primary] if primary in todo else [])
        log(f"rolling out {', '.join(m['name'] for m in order)} (primary: {primary['name']})")
        for member in order:
            self.restart(member, primary=member is primary)
        log("rollout complete")


def api_url(host, port):
    return f"https://[{host}]:{port}" if ":" in host else f"https://{host}:{port}"


def observed(sts):
    return sts and sts["status"].get("observedGeneration", 0) >= sts["metadata"]["generation"] and sts["status"].get("updateRevision") and sts


def is_ready(pod):
    conditions = pod.get("status", {}).get("conditions", [])
    return pod.get("metadata", {}).get("deletionTimestamp") is None and any(c["type"] == "Ready" and c["status"] == "True" for c in conditions)


def main():
    members = json.loads(os.environ["MEMBERS"])
    with open(os.environ["SENTINEL_PASSWORD_FILE"], encoding="utf-8") as f:
        password = f.read().strip()
    tls = ssl.create_default_context(cafile=os.environ["CA_FILE"])
    sentinels = {m["name"]: Sentinel(m["host"], int(os.environ["SENTINEL_PORT"]), password, tls) for m in members}
    rollout = Rollout(Kube(), sentinels, members, os.environ["PRIMARY_NAME"], int(os.environ.get("TIMEOUT_SECONDS", "600")))
    try:
        rollout.run()
    except (Failure, Stop) as e:
        log(f"rollout stopped: {e}")
        sys.exit(1)


if __name__ == "__main__":
    main()
