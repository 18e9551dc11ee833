/** The unsubscribe page's words, per language; `{x}` marks a value put in when rendering. */
export const LANGUAGES = ['en', 'fr'] as const;
export type Language = (typeof LANGUAGES)[number];

/** The page's states (page.ts PageState's kinds), each titled in every language. */
export type PageKind =
  | 'confirm'
  | 'done'
  | 'already'
  | 'resubscribed'
  | 'undoRefused'
  | 'invalid'
  | 'expired'
  | 'busy'
  | 'error'
  | 'unconfirmed'
  | 'undoUnconfirmed';

export interface Messages {
  /**
   * The window's title per state: a tab, the history and a screen reader's first words tell
   * a done unsubscribe from a refused link. Short, as a tab shows little of it.
   */
  titles: Record<PageKind, string>;
  confirmHeading: string;
  confirmText: string;
  confirmTextFrom: string;
  unsubscribeButton: string;
  doneHeading: string;
  doneText: string;
  undoText: string;
  /** undoText for a window of one minute. */
  undoTextOneMinute: string;
  undoButton: string;
  alreadyHeading: string;
  alreadyText: string;
  resubscribedHeading: string;
  resubscribedText: string;
  undoRefusedHeading: string;
  undoRefusedText: string;
  invalidHeading: string;
  invalidText: string;
  expiredHeading: string;
  expiredText: string;
  busyHeading: string;
  busyText: string;
  errorHeading: string;
  errorText: string;
  /** Still being committed at the request's deadline: it may be stored, or not. */
  unconfirmedHeading: string;
  unconfirmedText: string;
  /** The page's resubscribe, still being committed at the request's deadline. */
  undoUnconfirmedHeading: string;
  undoUnconfirmedText: string;
}

export const MESSAGES: Record<Language, Messages> = {
  en: {
    titles: {
      confirm: 'Unsubscribe?',
      done: 'Unsubscribed',
      already: 'Already unsubscribed',
      resubscribed: 'Subscribed again',
      undoRefused: 'Cannot be undone here',
      invalid: 'Invalid link',
      expired: 'Expired link',
      busy: 'Too many requests',
      error: 'Error: nothing changed',
      unconfirmed: 'Unsubscribe not confirmed',
      undoUnconfirmed: 'Resubscribe not confirmed',
    },
    confirmHeading: 'Unsubscribe from these emails?',
    confirmText: 'Emails will no longer be sent to {address}.',
    confirmTextFrom: '{sender} will no longer send emails to {address}.',
    unsubscribeButton: 'Unsubscribe',
    doneHeading: 'You are unsubscribed',
    doneText: 'No more emails will be sent to {address}.',
    undoText: 'For the next {minutes} minutes you can undo this from this page.',
    undoTextOneMinute: 'For the next minute you can undo this from this page.',
    undoButton: 'This was a mistake — resubscribe',
    alreadyHeading: 'You are unsubscribed',
    alreadyText: '{address} is unsubscribed: no emails will be sent to it.',
    resubscribedHeading: 'You are subscribed again',
    resubscribedText: 'Emails to {address} will start again.',
    undoRefusedHeading: 'This can no longer be undone here',
    undoRefusedText:
      'The address stays unsubscribed. To receive emails again, please contact the sender.',
    invalidHeading: 'This link is not valid',
    invalidText:
      'The link may have been cut or changed. Please use the unsubscribe link of a recent email.',
    expiredHeading: 'This link has expired',
    expiredText: 'Please use the unsubscribe link of a more recent email, or contact the sender.',
    busyHeading: 'Too many requests',
    busyText: 'Please try again in a minute.',
    errorHeading: 'Something went wrong',
    errorText: 'Nothing was changed. Please try again in a few minutes.',
    unconfirmedHeading: 'Your unsubscribe is not confirmed',
    unconfirmedText:
      'It may not have been recorded. Please try again in a few minutes: it will not be recorded twice.',
    undoUnconfirmedHeading: 'Your resubscribe is not confirmed',
    undoUnconfirmedText:
      'It may not have been recorded. Please try again in a few minutes, within the time this page gave you.',
  },
  fr: {
    titles: {
      confirm: 'Se désinscrire ?',
      done: 'Désinscription faite',
      already: 'Déjà désinscrit',
      resubscribed: 'De nouveau inscrit',
      undoRefused: 'Annulation impossible ici',
      invalid: 'Lien non valide',
      expired: 'Lien expiré',
      busy: 'Trop de demandes',
      error: 'Erreur : rien n’a changé',
      unconfirmed: 'Désinscription non confirmée',
      undoUnconfirmed: 'Réinscription non confirmée',
    },
    confirmHeading: 'Se désinscrire de ces e-mails ?',
    confirmText: 'Plus aucun e-mail ne sera envoyé à {address}.',
    confirmTextFrom: '{sender} n’enverra plus d’e-mails à {address}.',
    unsubscribeButton: 'Me désinscrire',
    doneHeading: 'Vous êtes désinscrit',
    doneText: 'Plus aucun e-mail ne sera envoyé à {address}.',
    undoText: 'Pendant {minutes} minutes, vous pouvez annuler depuis cette page.',
    undoTextOneMinute: 'Pendant une minute, vous pouvez annuler depuis cette page.',
    undoButton: 'C’était une erreur — me réinscrire',
    alreadyHeading: 'Vous êtes désinscrit',
    alreadyText: '{address} est désinscrite : aucun e-mail ne lui sera envoyé.',
    resubscribedHeading: 'Vous êtes de nouveau inscrit',
    resubscribedText: 'Les e-mails vers {address} reprendront.',
    undoRefusedHeading: 'Ceci ne peut plus être annulé ici',
    undoRefusedText:
      'L’adresse reste désinscrite. Pour recevoir de nouveau des e-mails, contactez l’expéditeur.',
    invalidHeading: 'Ce lien n’est pas valide',
    invalidText:
      'Le lien a peut-être été coupé ou modifié. Utilisez le lien de désinscription d’un e-mail récent.',
    expiredHeading: 'Ce lien a expiré',
    expiredText:
      'Utilisez le lien de désinscription d’un e-mail plus récent, ou contactez l’expéditeur.',
    busyHeading: 'Trop de demandes',
    busyText: 'Veuillez réessayer dans une minute.',
    errorHeading: 'Une erreur est survenue',
    errorText: 'Rien n’a été modifié. Veuillez réessayer dans quelques minutes.',
    unconfirmedHeading: 'Votre désinscription n’est pas confirmée',
    unconfirmedText:
      'Elle n’a peut-être pas été enregistrée. Veuillez réessayer dans quelques minutes : elle ne sera pas enregistrée deux fois.',
    undoUnconfirmedHeading: 'Votre réinscription n’est pas confirmée',
    undoUnconfirmedText:
      'Elle n’a peut-être pas été enregistrée. Veuillez réessayer dans quelques minutes, dans le délai indiqué par cette page.',
  },
};

function isLanguage(value: string): value is Language {
  return (LANGUAGES as readonly string[]).includes(value);
}

/**
 * The page's language: an explicit choice (?lang= or the form's lang field) first, then the
 * best of Accept-Language by its q values, then English. The header is read only so far.
 */
export function chooseLanguage(
  explicit: string | undefined,
  acceptLanguage: string | undefined,
): Language {
  const chosen = explicit?.trim().toLowerCase();
  if (chosen && isLanguage(chosen)) return chosen;
  let best: Language = 'en';
  let bestQ = 0;
  for (const item of (acceptLanguage ?? '').slice(0, 512).split(',').slice(0, 20)) {
    const [tag = '', ...params] = item.trim().toLowerCase().split(';');
    const primary = tag.split('-')[0]!;
    if (!isLanguage(primary)) continue;
    let q = 1;
    for (const p of params) {
      const m = /^\s*q=([01](?:\.\d{0,3})?)\s*$/.exec(p);
      if (m) q = Number(m[1]);
    }
    if (q > bestQ) {
      best = primary;
      bestQ = q;
    }
  }
  return best;
}

export function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => values[name] ?? whole);
}
