// Sign-in page: posts the id and password as JSON, then goes to the
// landing page, which sends each person to their first page.
const form = document.getElementById('signin-form');
const error = document.getElementById('signin-error');

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  error.textContent = '';
  const id = document.getElementById('signin-id').value.trim();
  const password = document.getElementById('signin-password').value;
  if (!id || !password) {
    error.textContent = 'Give your staff id and password.';
    return;
  }
  const response = await fetch('/api/signin', {
    method: 'POST',
    headers: {'Content-Type': 'application/json'},
    body: JSON.stringify({id, password}),
    credentials: 'same-origin',
  });
  if (response.ok) {
    window.location.assign('/');
    return;
  }
  const body = await response.json().catch(() => ({}));
  error.textContent = body.error || `Sign-in failed (${response.status}).`;
});
