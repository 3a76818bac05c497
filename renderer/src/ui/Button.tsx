import type { ButtonHTMLAttributes, ReactNode } from 'react';
import { Icon, type IconName } from './Icon.js';

type Variant = 'default' | 'primary' | 'danger' | 'ghost';

interface ButtonProps extends ButtonHTMLAttributes<HTMLButtonElement> {
  icon?: IconName;
  variant?: Variant;
  size?: 'sm' | 'md';
  children?: ReactNode;
}

export function Button({
  icon,
  variant = 'default',
  size = 'md',
  className,
  children,
  ...rest
}: ButtonProps) {
  const classes = ['btn', `btn-${variant}`, `btn-${size}`, children ? '' : 'btn-icon-only', className ?? '']
    .filter(Boolean)
    .join(' ');
  return (
    <button type="button" className={classes} {...rest}>
      {icon && <Icon name={icon} size={size === 'sm' ? 14 : 16} />}
      {children}
    </button>
  );
}

/** An icon-only button: the label is both its accessible name and its tooltip. */
export function IconButton({
  icon,
  label,
  variant = 'ghost',
  size = 'sm',
  ...rest
}: Omit<ButtonProps, 'children'> & { icon: IconName; label: string }) {
  return <Button icon={icon} variant={variant} size={size} aria-label={label} title={label} {...rest} />;
}
