// The playground's service worker (www/public/sw.js): registered for offline use, and the page's
// side of updates. A new build's worker installs in the background and waits; this module then
// shows "A new version of ConvPlay is ready" with a Reload button in the banner it is given. The
// button asks the waiting worker to take over and reloads the page into the new build once it
// has. A tab whose worker was replaced from another tab says so and offers the same reload.
//
// For tests the page's <html> says where it stands: data-offline="ready" once a worker is
// active, data-update="ready" while the prompt is shown.

/** How often a long-open page asks the server for a new build (the browser also asks on each visit). */
const CHECK_EVERY_MS = 60 * 60 * 1000;

export function registerServiceWorker(banner: HTMLElement): void {
  if (!('serviceWorker' in navigator)) return;
  const sw = navigator.serviceWorker;
  // Whether this page was served by a worker: a first worker taking over is not an update.
  const hadController = sw.controller !== null;
  let reloading = false;

  const prompt = (text: string, accept: () => void): void => {
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = 'Reload';
    button.addEventListener('click', () => {
      button.disabled = true;
      accept();
    });
    banner.replaceChildren(`${text} `, button);
    banner.hidden = false;
    document.documentElement.dataset.update = 'ready';
  };
  const reload = (): void => {
    if (reloading) return;
    reloading = true;
    location.reload();
  };

  sw.addEventListener('controllerchange', () => {
    if (reloading || !hadController) return;
    // Another tab accepted an update: this page's files may no longer be in the new cache.
    prompt('ConvPlay was updated in another tab.', reload);
  });

  /** Offers the worker that waits to take over; the page reloads when it has. */
  const offer = (waiting: ServiceWorker): void => {
    if (!sw.controller) return; // a first install activates by itself
    prompt('A new version of ConvPlay is ready.', () => {
      if (waiting.state !== 'installed') return reload(); // it took over already
      sw.addEventListener('controllerchange', reload);
      waiting.postMessage('skip-waiting');
    });
  };

  sw.register('./sw.js', { updateViaCache: 'none' })
    .then((registration) => {
      if (registration.waiting) offer(registration.waiting);
      registration.addEventListener('updatefound', () => {
        const installing = registration.installing;
        installing?.addEventListener('statechange', () => {
          if (installing.state === 'installed') offer(installing);
        });
      });
      setInterval(() => void registration.update().catch(() => {}), CHECK_EVERY_MS);
      return sw.ready;
    })
    .then(() => (document.documentElement.dataset.offline = 'ready'))
    .catch((e) => console.warn(`ConvPlay will not work offline: ${(e as Error).message}`));
}
