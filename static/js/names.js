// How a person is shown: the display name when they set one, else the name
// (which is always the unique @handle).

export function shownName(user) {
  if (!user) return '';
  return (user.DisplayName || '').trim() || user.Name || '';
}

export function handleOf(user) {
  return user && user.Name ? `@${user.Name}` : '';
}

// "Ana Lima (@ana)" where the two differ, else the name alone: for places
// where two people could be mistaken (search results, members, requests).
export function fullName(user) {
  const shown = shownName(user);
  return shown && user && user.Name && shown !== user.Name ? `${shown} (@${user.Name})` : shown;
}
