// Boundary load test for k6 (the operations guide's script, extended to the API).
//
//   k6 run bench/k6/load-test.js                                   # guide: 50 VUs for 5 minutes
//   k6 run -e BASE_URL=http://127.0.0.1:3000 -e VUS=10 -e DURATION=30s bench/k6/load-test.js
//   k6 run -e SCENARIO=api -e EMAIL=bench-admin@example.com \
//          -e PASSWORD=bench-password-not-common-1 bench/k6/load-test.js
//
// SCENARIO=health (default) requests GET /health like the guide. SCENARIO=api logs in once per
// VU and then requests /api/v1/auth/me and /api/v1/users?limit=20 (seed a database first:
// `.venv/bin/python bench/seed.py postgresql://…/boundary_bench`; the account needs the admin
// role for /users). Rate limits apply (100/min per IP on public endpoints): benchmark the
// service with BOUNDARY_RATE_LIMIT__ENABLED=false, or the limiter with it on.
// Thresholds are the guide's performance targets: k6 exits non-zero when one is missed.
// Without k6, `make bench` (bench/run.py, wrk) measures the same requests.
import http from 'k6/http';
import { check, fail } from 'k6';

const BASE_URL = (__ENV.BASE_URL || 'http://localhost:3000').replace(/\/$/, '');
const SCENARIO = __ENV.SCENARIO || 'health';

export const options = {
  vus: Number(__ENV.VUS || 50), // 50 virtual users
  duration: __ENV.DURATION || '5m', // 5 minutes
  thresholds: {
    http_req_failed: ['rate<0.01'],
    http_req_duration: ['p(50)<100', 'p(95)<500', 'p(99)<1000'],
    checks: ['rate>0.99'],
  },
};

function login() {
  const res = http.post(
    `${BASE_URL}/api/v1/auth/login`,
    JSON.stringify({ email: __ENV.EMAIL, password: __ENV.PASSWORD }),
    { headers: { 'Content-Type': 'application/json' }, tags: { name: 'POST /api/v1/auth/login' } },
  );
  if (res.status !== 200) {
    fail(`login failed: ${res.status} ${res.body}`);
  }
  return res.json('access_token');
}

let token = null;

export default function () {
  if (SCENARIO === 'health') {
    const res = http.get(`${BASE_URL}/health`, { tags: { name: 'GET /health' } });
    check(res, {
      'status is 200': (r) => r.status === 200,
      'response time < 200ms': (r) => r.timings.duration < 200,
    });
    return;
  }
  if (token === null) {
    token = login();
  }
  const auth = { headers: { Authorization: `Bearer ${token}` } };
  const me = http.get(`${BASE_URL}/api/v1/auth/me`, { ...auth, tags: { name: 'GET /api/v1/auth/me' } });
  check(me, { 'me is 200': (r) => r.status === 200 });
  const users = http.get(`${BASE_URL}/api/v1/users?limit=20`, {
    ...auth,
    tags: { name: 'GET /api/v1/users' },
  });
  check(users, {
    'users is 200': (r) => r.status === 200,
    'users has items': (r) => r.status === 200 && Array.isArray(r.json('items')),
  });
}
